"""Making and checking partner keys.

A key is "ow_" plus 32 random bytes in URL-safe base64: far too much entropy to
guess, so a plain SHA-256 of it is a safe thing to store (a slow password hash
protects low-entropy secrets, which these are not) and lets a request be checked
with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from partners.models import PartnerKey

KEY_PREFIX = "ow_"
PREFIX_LENGTH = 11  # "ow_" and 8 random characters: shown in the admin and in logs


class InvalidKey(Exception):
    """The key is unknown or revoked; the message says which, for the partner."""


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_key(name: str, scopes: list[str], **fields) -> tuple[PartnerKey, str]:
    """Create a key; returns it with its secret, which is never stored and cannot be shown again."""
    key = PartnerKey(name=name, scopes=scopes, **fields)
    raw = assign_secret(key)
    key.save()
    return key, raw


def assign_secret(key: PartnerKey) -> str:
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key.prefix = raw[:PREFIX_LENGTH]
    key.hashed_key = hash_key(raw)
    return raw


def authenticate(raw: str) -> PartnerKey:
    key = PartnerKey.objects.filter(hashed_key=hash_key(raw.strip())).first()
    if key is None:
        raise InvalidKey("This API key is not known. Check that it was copied whole, or ask for a new one.")
    if key.is_revoked:
        raise InvalidKey(
            f"The API key {key.prefix}… was revoked on {key.revoked_at:%Y-%m-%d}. Ask for a new one."
        )
    return key


def revoke(key: PartnerKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
