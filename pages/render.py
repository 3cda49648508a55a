"""The long repeated parts of the pages (chart points, the chart's table, the map's
countries) built as HTML in Python: a Django template loop costs tens of
microseconds per row, and these parts have hundreds of rows on every service page
(benchmarks/site_latency.py measured 250 ms of template time before this)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pages.charts import Chart
from pages.worldmap import WorldMap
from spikes.timeseries import Bucket


def time_tag(value: datetime, fmt: str = "%b %-d, %H:%M", zone: tzinfo | None = None) -> str:
    """<time> in the active zone, with UTC in its title (what the `moment` tag makes)."""
    iso = value.astimezone(UTC).isoformat()  # cheaper than two strftime calls per row
    local = value.astimezone(zone or timezone.get_current_timezone())
    # Zone abbreviations are letters, digits, + and -: nothing to escape.
    return (
        f'<time datetime="{iso[:19]}Z" title="{iso[:10]} {iso[11:16]} UTC">'
        f"{local.strftime(fmt)} {local.tzname()}</time>"
    )


def chart_svg(chart: Chart, rows: Sequence[Bucket], title: str, per: str, long_range: bool) -> SafeString:
    """The chart as inline SVG with a <title> and <desc>, hover titles per bucket."""
    x_fmt = "%a %H:%M" if long_range else "%H:%M"
    zone = timezone.get_current_timezone()
    parts = [
        f'<svg class="series-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" data-y-max="{chart.y_max:g}" data-top="{chart.top:g}" '
        f'data-bottom="{chart.bottom:g}" data-count="{len(rows)}">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">Distinct reporters per {escape(per)} (red line)'
        + (
            " against the expected level (dashed line) and its usual range (grey band)"
            if chart.has_expected
            else ""
        )
        + ". The table below lists every value.</desc>",
        '<g class="axis">',
    ]
    for tick in chart.y_ticks:
        parts.append(
            f'<line class="grid" x1="{chart.left:g}" x2="{chart.right:g}" y1="{tick.position:g}" y2="{tick.position:g}"></line>'
            f'<text class="y-label" x="{chart.left - 6:g}" y="{tick.position:g}">{tick.label:.0f}</text>'
        )
    for tick in chart.x_ticks:
        parts.append(
            f'<text class="x-label" x="{tick.position:g}" y="{chart.height - 8:g}">'
            f"{tick.label.astimezone(zone).strftime(x_fmt)}</text>"
        )
    parts.append("</g>")
    if chart.has_expected:
        parts.append(f'<polygon class="band" points="{chart.band}"></polygon>')
        parts.append(f'<polyline class="expected" points="{chart.expected}"></polyline>')
    parts.append(f'<polyline class="reports" points="{chart.points}"></polyline>')
    if len(rows) <= 400:
        parts.append('<g class="dots">')
        for x, y, b in chart.dots:
            expected = "" if b.expected is None else f", {b.expected:.0f} expected"
            when = b.start.astimezone(zone).strftime("%a %-d %b %H:%M")
            parts.append(
                f'<circle cx="{x:g}" cy="{y:g}" r="5"><title>{when}: {b.reporters} reporters{expected}</title></circle>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped or a number


def chart_rows(rows: Sequence[Bucket]) -> SafeString:
    """The <tr>s of the chart's table."""
    out = []
    zone = timezone.get_current_timezone()
    for b in rows:
        expected = "–" if b.expected is None else f"{b.expected:.1f}"
        band = "–" if b.low is None else f"{b.low:.0f} to {b.high:.0f}"
        out.append(
            f"<tr><td>{time_tag(b.start, '%a %-d %b %H:%M', zone)}</td><td>{b.reports}</td><td>{b.reporters}</td>"
            f"<td>{expected}</td><td>{band}</td></tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - numbers and escaped zone names only


def map_paths(world: WorldMap) -> SafeString:
    out = []
    for shape in world.shapes:
        code = f' data-code="{escape(shape.code)}"' if shape.code else ""
        out.append(
            f'<path class="{shape.shade}" d="{shape.d}"{code}><title>{escape(shape.label)}</title></path>'
        )
    return mark_safe("".join(out))  # noqa: S308 - the geometry is our committed file; labels escaped
