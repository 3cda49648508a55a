"""Print a new VAPID key pair for browser notifications (RFC 8292)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand

from alerts.push import b64url


class Command(BaseCommand):
    help = "Print a new VAPID private key (for ALERTS_VAPID_PRIVATE_KEY) and its public key."

    def handle(self, *args, **options) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
        public = b64url(
            key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        self.stdout.write(f"ALERTS_VAPID_PRIVATE_KEY={private}\n")
        self.stdout.write(
            f"# public key (browsers subscribe with it; served to them by the site): {public}\n"
        )
        self.stdout.write("# Keep the private key: changing it voids every browser's subscription.\n")
