"""Typed readers for environment variables.

Every setting that changes between deployments comes from the environment through
one of these helpers. Each one refuses nonsense loudly, naming the variable and what
it expected, so a typo in a deployment fails at start-up instead of at 3 a.m.

A secret (env_secret, env_url(secret=True)) may instead be given as a file whose
path is in NAME_FILE, as Docker and Kubernetes secrets are mounted: SECRET_KEY_FILE=
/run/secrets/secret_key (healthchecks' envsecret does the same).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable holds a value the project cannot use."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None or value == "" else value


def env_secret(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """NAME, or the contents of the file NAME_FILE names (without the surrounding
    blanks and newline). Both set is refused: which one would win is a guess."""
    path = _raw(f"{name}_FILE", environ)
    if not path:
        return env_str(name, default, environ)
    if _raw(name, environ):
        raise ImproperlyConfiguredEnv(f"Both {name} and {name}_FILE are set: keep one of them.")
    try:
        value = Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not a text file"
        raise ImproperlyConfiguredEnv(f"{name}_FILE={path!r} cannot be read: {reason}.") from None
    if not value:
        raise ImproperlyConfiguredEnv(f"{name}_FILE={path!r} is an empty file.")
    return value


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(
        f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(
    name: str,
    default: int,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={number} is below the minimum of {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfiguredEnv(f"{name}={number} is above the maximum of {maximum}.")
    return number


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items are ignored."""
    value = _raw(name, environ)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(
    name: str,
    default: str = "",
    schemes: tuple[str, ...] = (),
    environ: Mapping[str, str] | None = None,
    secret: bool = False,
) -> str:
    """A URL whose scheme must be one of `schemes`; empty means "not configured".
    With `secret` (a URL with a password in it) it may come from NAME_FILE."""
    value = env_secret(name, default, environ) if secret else env_str(name, default, environ)
    if value and schemes:
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in schemes:
            allowed = ", ".join(f"{s}://" for s in schemes)
            raise ImproperlyConfiguredEnv(
                f"{name} must start with one of {allowed} (got {value.split('://')[0]!r})."
            )
    return value


def env_rate(name: str, default: str, environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """A rate such as "30/m": (number of requests, window in seconds)."""
    value = env_str(name, default, environ)
    periods = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    count, _, period = value.partition("/")
    try:
        number = int(count)
        seconds = periods[period.strip().lower()[:1]]
    except (ValueError, KeyError):
        raise ImproperlyConfiguredEnv(
            f"{name}={value!r} is not a rate: write it as COUNT/PERIOD, e.g. 30/m (s, m, h or d)."
        ) from None
    if number < 1:
        raise ImproperlyConfiguredEnv(f"{name}={value!r}: the count must be at least 1.")
    return number, seconds


def env_url_path(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """A URL path prefix such as "admin/" or "backstage/ops/": no leading slash,
    one trailing slash, only characters that are safe in a URL path."""
    value = env_str(name, default, environ).strip("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
    if not value or not set(value) <= allowed or ".." in value:
        raise ImproperlyConfiguredEnv(
            f"{name}={env_str(name, default, environ)!r} is not a URL path: use letters, digits, "
            "'-', '_', '.' and '/', e.g. backstage/."
        )
    return value + "/"


def env_networks(
    name: str, default: list[str], environ: Mapping[str, str] | None = None
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of addresses or CIDR networks, e.g. 10.0.0.0/8,::1."""
    networks = []
    for item in env_list(name, default, environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)."
            ) from None
    return networks


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """One of `choices`, matched without regard to case (returned as spelt in `choices`)."""
    value = env_str(name, default, environ)
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfiguredEnv(f"{name}={value!r}: choose one of {', '.join(choices)}.")


def env_email(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """A mail address, bare or with a display name: alerts@example.org or
    "outagewatch <alerts@example.org>"."""
    value = env_str(name, default, environ)
    _, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not (local and at and "." in domain.strip(".")) or any(c.isspace() for c in address):
        raise ImproperlyConfiguredEnv(
            f"{name}={value!r} is not a mail address: write it as name@example.org or "
            "'Display Name <name@example.org>'."
        )
    return value
