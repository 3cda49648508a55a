"""System checks of our own settings, run by `manage.py check` (and --deploy);
OutagewatchConfig.ready registers them."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error

DEFAULT_ADMIN_PATH = "admin/"


def admin_path_is_not_the_default(app_configs, **kwargs) -> list[Error]:
    """In production the admin must not sit at /admin/, where every scanner looks.
    An Error, not a Warning: docker-compose's web service runs
    `check --deploy --fail-level ERROR` before it starts, so it refuses to start."""
    if settings.ADMIN_PATH != DEFAULT_ADMIN_PATH:
        return []
    return [
        Error(
            "ADMIN_PATH is the default 'admin/', where every scanner tries passwords.",
            hint="Set ADMIN_PATH to a path nobody would guess, e.g. backstage-4f7a/ "
            '(python3 -c \'import secrets; print("backstage-" + secrets.token_hex(4) + "/")\').',
            id="outagewatch.E001",
        )
    ]
