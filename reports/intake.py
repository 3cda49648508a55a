"""Report intake: one validation and one way to store, for the web form and the API.

`validate_report` turns untrusted input (a JSON object or form fields) into a
`ValidReport` or raises `InvalidReport` naming each bad field and what is wrong
with it, in words a person can act on. `accept_report` takes a valid report for
good: once it returns, the report is durably accepted (see docs/intake-load.md):

- with REPORT_STREAM on, appended to the Redis stream (append-only file), from
  which the mover (reports.mover) stores it in the database at least once and
  without duplicates;
- otherwise, or when Redis cannot take it, committed to the database
  (`file_report`).

When neither can take it (the database is down and the stream is off or down too),
`Unavailable` is raised: the caller answers 503 with Retry-After, and nothing at all
was written.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from outagewatch.clients import Client
from reports import fingerprint, ratelimit, stream, subdivisions
from reports.catalog import get_catalog
from reports.models import Report, Source

FIELDS = ("service", "problem", "region", "subdivision", "comment")
COMMENT_MAX_CHARS = 280
# Control characters other than line breaks and tabs have no place in a comment,
# and NUL cannot even be stored in PostgreSQL text.
_FORBIDDEN_COMMENT_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


class InvalidReport(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class Unavailable(Exception):
    """The report cannot be durably accepted right now; nothing was written."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@contextmanager
def _database_needed() -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        raise Unavailable(settings.REPORT_RETRY_AFTER_SECONDS) from exc


@dataclass(frozen=True)
class Accepted:
    """A durably accepted report, as the caller tells the reporter about it."""

    intake_id: uuid.UUID
    created_at: datetime
    region: str
    subdivision: str
    comment: str
    source: str
    # Known at once when committed directly; decided by the mover otherwise.
    is_repeat: bool | None
    stored: bool  # committed to the database (else: in the stream, on its way)


@dataclass(frozen=True)
class ValidReport:
    service_id: int
    service_slug: str
    service_name: str
    problem_id: int
    problem_slug: str
    region: str
    comment: str
    subdivision: str = ""


def _text(data: Mapping[str, Any], name: str, example: str, errors: dict[str, list[str]]) -> str:
    value = data.get(name)
    if value is None or value == "":
        errors[name] = [f"This field is required, e.g. {example!r}."]
        return ""
    if not isinstance(value, str):
        errors[name] = [f"Must be a string, e.g. {example!r}, not {type(value).__name__}."]
        return ""
    return value.strip()


def _kind(value: Any) -> str:
    """A JSON value's type as JSON names it."""
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def validate_report(data: Mapping[str, Any]) -> ValidReport:
    """Check a report against the catalog; raise InvalidReport listing every problem
    (or Unavailable when the catalog was never read and the database is down)."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(repr(k)[:40] for k in data if k not in FIELDS)
    if unknown:
        errors["non_field_errors"] = [
            f"Unknown field(s): {', '.join(unknown[:5])}. A report has the fields "
            f"{', '.join(FIELDS)} (subdivision and comment are optional)."
        ]
    with _database_needed():
        catalog = get_catalog()

    service_slug = _text(data, "service", "whatsapp", errors)
    service = None
    if service_slug:
        service = catalog.services.get(service_slug.lower())
        if service is None:
            errors["service"] = [
                f"Unknown service {service_slug[:60]!r}: use a service's slug, as in its page "
                "address /status/<slug>/ (e.g. 'whatsapp')."
            ]
        elif not service.is_active:
            errors["service"] = [f"{service.name} is not accepting reports at the moment."]
            service = None

    problem_slug = _text(data, "problem", "messages", errors)
    problem_id = None
    if problem_slug and service is not None:
        problem_id = service.problems.get(problem_slug.lower())
        if problem_id is None:
            offered = ", ".join(service.problems) or "none"
            errors["problem"] = [
                f"{service.name} has no problem type {problem_slug[:60]!r}. Choose one of: {offered}."
            ]

    region = _text(data, "region", "US", errors).upper()
    if region and region not in catalog.regions:
        errors["region"] = [
            f"{region[:60]!r} is not an ISO 3166-1 alpha-2 country code (such as US, GB or IN)."
        ]

    subdivision = _subdivision(data, region if "region" not in errors else "", errors)

    comment = data.get("comment")
    if comment is None:  # left out, or null: no comment
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = [f"Must be a string (or null, or left out, for none), not {_kind(comment)}."]
        comment = ""
    if _SURROGATES.search(comment) or _FORBIDDEN_COMMENT_CHARS.search(comment):
        errors["comment"] = ["The comment contains control characters or invalid Unicode; send plain text."]
        comment = ""
    comment = unicodedata.normalize("NFC", comment.strip())
    if len(comment) > COMMENT_MAX_CHARS:
        errors["comment"] = [
            f"Ensure the comment has at most {COMMENT_MAX_CHARS} characters (it has {len(comment)})."
        ]

    if errors:
        raise InvalidReport(errors)
    assert service is not None and problem_id is not None
    return ValidReport(
        service_id=service.id,
        service_slug=service.slug,
        service_name=service.name,
        problem_id=problem_id,
        problem_slug=problem_slug.lower(),
        region=region,
        comment=comment,
        subdivision=subdivision,
    )


def _subdivision(data: Mapping[str, Any], region: str, errors: dict[str, list[str]]) -> str:
    """The optional first-level subdivision of `region` ("" when left out, null or
    empty); an error naming the valid choices otherwise."""
    value = data.get("subdivision")
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        errors["subdivision"] = [
            f"Must be a string such as 'DE-BY' (or null, or left out, for none), not {_kind(value)}."
        ]
        return ""
    code = value.strip().upper()
    if not region:  # the region is missing or wrong: its error says what to fix first
        return ""
    problem = subdivisions.problem_with(code, region)
    if problem is not None:
        errors["subdivision"] = [problem]
        return ""
    return code


def check_rate_limit(client: Client) -> ratelimit.RateDecision:
    """Count a hit of this client; raise RateLimited if it sent too many lately.

    `accept_report` counts valid reports itself; call this for the others, so that
    invalid requests count towards the limit too.
    """
    limit, window = settings.REPORT_RATE_LIMIT
    with _database_needed():  # the day's fingerprint key, once a day per process
        key = fingerprint.address_key(client.address, timezone.now())
    decision = ratelimit.hit(f"report:{key}", limit, window)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)
    return decision


def file_report(
    report: ValidReport,
    client: Client,
    source: Source,
    *,
    intake_id: uuid.UUID | None = None,
    now: datetime | None = None,
    reporter: str | None = None,
) -> Report:
    """Store a valid report. The row is committed when this returns.

    Raises IntegrityError only if a report with this intake id is already stored.
    """
    now = now or timezone.now()
    if reporter is None:
        reporter = fingerprint.reporter_fingerprint(client.address, client.user_agent, now)
    return Report.objects.create(
        intake_id=intake_id or uuid.uuid4(),
        service_id=report.service_id,
        problem_id=report.problem_id,
        region_id=report.region,
        subdivision=report.subdivision,
        created_at=now,
        comment=report.comment,
        source=source,
        fingerprint=reporter,
        is_repeat=Report.objects.is_repeat_of(report.service_id, reporter, now),
    )


def accept_report(report: ValidReport, client: Client, source: Source) -> Accepted:
    """Count the client's hit against the rate limit, then accept the report for
    good (stream or database). Raises RateLimited or Unavailable."""
    now = timezone.now()
    intake_id = uuid.uuid4()
    limit, window_seconds = settings.REPORT_RATE_LIMIT
    with _database_needed():  # the day's fingerprint key, once a day per process
        reporter = fingerprint.reporter_fingerprint(client.address, client.user_agent, now)
        address = fingerprint.address_key(client.address, now)
    rate = ratelimit.window(f"report:{address}", window_seconds)
    accepted = Accepted(
        intake_id, now, report.region, report.subdivision, report.comment, source, None, False
    )
    counted = False
    if stream.enabled():
        entry = stream.Entry(
            intake_id=intake_id,
            service_id=report.service_id,
            problem_id=report.problem_id,
            region=report.region,
            comment=report.comment,
            source=source,
            fingerprint=reporter,
            created_at=now,
            subdivision=report.subdivision,
        )
        try:
            if stream.shares_redis_with_cache():
                # The fast path: rate limit and XADD in one round trip.
                count = stream.append(entry, (cache.make_key(rate.key), limit, window_seconds + 1))
                decision = rate.decide(count, limit)
                if not decision.allowed:
                    raise RateLimited(decision.retry_after)
                return accepted
            check_rate_limit(client)
            counted = True
            stream.append(entry)
            return accepted
        except stream.StreamUnavailable:
            pass  # commit directly instead, with the same intake id
    if not counted:
        check_rate_limit(client)
    with _database_needed():
        try:
            row = file_report(report, client, source, intake_id=intake_id, now=now, reporter=reporter)
        except IntegrityError:
            # An XADD that timed out had reached Redis after all, and the mover
            # stored it first: it is accepted, once.
            if not Report.objects.filter(intake_id=intake_id, created_at=now).exists():
                raise
            return accepted
    return Accepted(
        intake_id, now, report.region, report.subdivision, report.comment, source, row.is_repeat, True
    )
