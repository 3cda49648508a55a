"""What the CSV, PNG and embed downloads of a chart share: their file names,
the CSV's columns, the snippet that embeds a widget."""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence

from django.http import HttpResponse

from spikes.timeseries import GAP, UNCOUNTED, Bucket

CSV_HEADER = [
    "bucket_start_utc",
    "reports",
    "distinct_reporters",
    "expected",
    "expected_low",
    "expected_high",
    "note",
]
# The CSV's `note` for a bucket without numbers.
CSV_NOTES = {GAP: "intake gap: no data"}


def csv_rows(rows: Sequence[Bucket]) -> list[list[str]]:
    """One row per counted bucket; a bucket in an intake gap has empty counts and
    says so; buckets not counted yet are left out (they are not zero)."""

    def num(x: float | None) -> str:
        return "" if x is None else f"{x:g}"

    return [
        [
            b.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "" if b.missing else str(b.reports),
            "" if b.missing else str(b.reporters),
            num(b.expected),
            num(b.low),
            num(b.high),
            CSV_NOTES.get(b.missing, ""),
        ]
        for b in rows
        if b.missing != UNCOUNTED
    ]


def csv_response(rows: Sequence[Bucket], name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(rows))
    return response


def png_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="image/png")
    # Inline, so that a shared link's preview (og:image) shows it; the page's
    # download link asks for a file with its `download` attribute.
    response["Content-Disposition"] = f'inline; filename="{name}.png"'
    return response


def embed_snippet(url: str, title: str) -> str:
    """The HTML a site pastes to embed a widget, as text (the page escapes it for
    display; its attribute values are escaped as HTML needs them)."""
    return (
        f'<iframe src="{html.escape(url)}" width="600" height="380" loading="lazy" '
        f'title="{html.escape(title)}"></iframe>'
    )
