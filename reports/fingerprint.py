"""Reporter fingerprints: who reported, without keeping where they came from.

A fingerprint is HMAC-SHA256(key of the day, address + user agent), cut to 128 bits.
The key is random, one per UTC day, kept in the database and deleted after two days
(`purge_fingerprint_keys`), so a fingerprint links a reporter's reports within a day
and nothing more: once the key is gone nobody, us included, can tell which address
made it. The raw address is never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from reports.models import FingerprintKey

KEEP_KEYS_DAYS = 2
_keys: dict[date, bytes] = {}


def _key_for(day: date) -> bytes:
    key = _keys.get(day)
    if key is None:
        row = FingerprintKey.objects.filter(day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = FingerprintKey.objects.create(day=day, key=secrets.token_hex(32))
            except IntegrityError:  # another process made today's key first
                row = FingerprintKey.objects.get(day=day)
        key = bytes.fromhex(row.key)
        _keys.clear()  # only today's key is ever needed by this process
        _keys[day] = key
    return key


def _digest(key: bytes, *parts: str) -> str:
    message = "\n".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def reporter_fingerprint(address: str, user_agent: str, at: datetime) -> str:
    """Stands for one reporter (address and browser) for the UTC day of `at`."""
    return _digest(_key_for(at.date()), "reporter", address, user_agent)


def address_key(address: str, at: datetime) -> str:
    """Stands for a client address, for rate limiting, without naming it."""
    return _digest(_key_for(at.date()), "address", address)


def purge_old_keys(today: date) -> int:
    """Delete the keys older than KEEP_KEYS_DAYS; returns how many went."""
    cutoff = today - timedelta(days=KEEP_KEYS_DAYS - 1)
    deleted, _ = FingerprintKey.objects.filter(day__lt=cutoff).delete()
    _keys.clear()
    return deleted
