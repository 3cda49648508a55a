"""Lift an admin log-in lock-out (outagewatch.login_throttle) for a name or an address."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outagewatch import login_throttle


class Command(BaseCommand):
    help = (
        "Forget the failed admin log-ins of a user name (and, with --address, of a client "
        "address), so that it may log in again at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?", default="", help="the user name that is locked out")
        parser.add_argument("--address", default="", help="a client address that is locked out")

    def handle(self, *args, username: str = "", address: str = "", **options) -> None:
        if not (username or address):
            raise CommandError(
                "Name a user (unlock_admin_login NAME) or an address (--address 198.51.100.7)."
            )
        cleared = login_throttle.unlock(username, address)
        who = " and ".join(
            filter(None, [f"user {username!r}" if username else "", address and f"address {address}"])
        )
        if cleared:
            self.stdout.write(f"Unlocked {who}: failed log-ins forgotten.")
        else:
            self.stdout.write(
                f"{who[0].upper()}{who[1:]} had no failed log-ins on record; nothing to unlock."
            )
