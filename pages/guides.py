"""Guides kept as Markdown in docs/ and shown on the site, so that they are written
once: the partner API's (linked from the API reference)."""

from __future__ import annotations

from functools import lru_cache

import markdown
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

PARTNER_API = settings.BASE_DIR / "docs" / "partner-api.md"


@lru_cache(maxsize=1)
def partner_api() -> SafeString:
    """docs/partner-api.md as HTML (our own committed text, read once per process)."""
    text = PARTNER_API.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    return mark_safe(html)  # safe: the repository's own document, not user input
