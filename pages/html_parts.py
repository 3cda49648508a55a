"""The long repeated parts of the pages (chart points, the chart's table, the map's
countries) built as HTML in Python: a Django template loop costs tens of
microseconds per row, and these parts have hundreds of rows on every service page
(benchmarks/site_latency.py measured 250 ms of template time before this)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outagewatch import localize
from pages.charts import MISSING_LABELS, Chart, expected_phrase
from pages.worldmap import WorldMap
from spikes.timeseries import UNCOUNTED, Bucket


def time_tag(
    value: datetime,
    style: str = "day_time",
    zone: tzinfo | None = None,
    write: Callable[[datetime], str] | None = None,
) -> str:
    """<time> in the active zone and language, with UTC in its title (what the
    `moment` tag makes); a loop passes the style's pattern (`write`) it took once."""
    iso = value.astimezone(UTC).isoformat()  # cheaper than two strftime calls per row
    local = value.astimezone(zone or timezone.get_current_timezone())
    written = write(local) if write is not None else localize.date(local, style)
    # Zone abbreviations are letters, digits, + and -: nothing to escape.
    return (
        f'<time datetime="{iso[:19]}Z" title="{iso[:10]} {iso[11:16]} UTC">{written} {local.tzname()}</time>'
    )


def axis_number(value: float) -> str:
    """A y-axis label short enough for a phone: 950, 1.5k, 12k."""
    if value >= 1000:
        thousands = value / 1000
        return _("%(n)sk") % {"n": localize.number(thousands, 0 if thousands == int(thousands) else 1)}
    return localize.number(value)


def chart_svg(
    chart: Chart,
    rows: Sequence[Bucket],
    title: str,
    per: str,
    long_range: bool,
    ids: str = "chart",
    table: bool = True,
) -> SafeString:
    """The chart as inline SVG with a <title> and <desc>, hover titles per bucket.
    Missing stretches are shaded and labelled ("counting…", "no data: intake
    down"); the line breaks across them."""
    x_style = "weekday_time" if long_range else "time"
    zone = timezone.get_current_timezone()
    if chart.has_expected:
        described = _(
            "Distinct reporters per %(per)s (red line) against the expected level (dashed line) "
            "and its usual range (grey band)"
        )
    else:
        described = _("Distinct reporters per %(per)s (red line)")
    time_of = localize.conventions_now().patterns["time"]
    parts = [
        f'<svg class="series-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="{ids}-title {ids}-desc" data-y-max="{chart.y_max:g}" data-top="{chart.top:g}" '
        f'data-bottom="{chart.bottom:g}" data-count="{len(rows)}">',
        f'<title id="{ids}-title">{escape(title)}</title>',
        f'<desc id="{ids}-desc">{escape(described % {"per": per})}'
        + "".join(
            "; "
            + escape(
                _("%(what)s from %(start)s to %(end)s")
                % {
                    "what": span.label,
                    "start": time_of(span.start.astimezone(zone)),
                    "end": time_of(span.end.astimezone(zone)),
                }
            )
            for span in chart.missing
        )
        + "."
        + (" " + escape(_("The table below lists every value.")) if table else "")
        + "</desc>",
        '<g class="axis">',
    ]
    for tick in chart.y_ticks:
        parts.append(
            f'<line class="grid" x1="{chart.left:g}" x2="{chart.right:g}" y1="{tick.position:g}" y2="{tick.position:g}"></line>'
            f'<text class="y-label" x="{chart.left - 6:g}" y="{tick.position:g}">{axis_number(tick.label)}</text>'
        )
    if chart.x_step >= 86400:
        x_style = "weekday_day"
    x_label = localize.conventions_now().patterns[x_style]
    for k, tick in enumerate(chart.x_ticks):
        # Every other time label gives way on a phone (pages.css), where they would touch.
        odd = " odd" if k % 2 else ""
        parts.append(
            f'<text class="x-label{odd}" x="{tick.position:g}" y="{chart.height - 8:g}">'
            f"{escape(x_label(tick.label.astimezone(zone)))}</text>"
        )
    parts.append("</g>")
    labels = _missing_labels(chart)
    for span in chart.missing:
        parts.append(
            f'<g class="missing missing-{span.kind}"><rect x="{span.x0:g}" y="{chart.top:g}" '
            f'width="{span.x1 - span.x0:g}" height="{chart.bottom - chart.top:g}"></rect>'
            + labels.get(id(span), "")
            + "</g>"
        )
    if chart.has_expected:
        parts.append(f'<polygon class="band" points="{chart.band}"></polygon>')
        parts.append(f'<polyline class="expected" points="{chart.expected}"></polyline>')
    for segment in chart.segments:
        parts.append(f'<polyline class="reports" points="{segment}"></polyline>')
    if len(chart.dots) <= 400:
        parts.append('<g class="dots">')
        rules = localize.conventions_now()
        bucket_time = rules.patterns["weekday_day_time"]
        for x, y, b in chart.dots:
            reporters = ngettext("%(n)s reporter", "%(n)s reporters", b.reporters) % {
                "n": localize.number(b.reporters, rules=rules)
            }
            expected = "" if b.expected is None else ", " + expected_phrase(b.expected, rules)
            parts.append(
                f'<circle cx="{x:g}" cy="{y:g}" r="5"><title>'
                f"{escape(bucket_time(b.start.astimezone(zone)))}: {escape(reporters + expected)}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: every text in it is escaped or a number


# About the width of a character of the missing stretches' labels (12 px, pages.css),
# in SVG units: enough to keep two labels from being drawn over each other.
LABEL_CHAR_WIDTH = 7.0


def _missing_labels(chart: Chart) -> dict[int, str]:
    """The label of each missing stretch, in the margin above the plot, right-aligned
    on its end (or left-aligned on its start near the left edge); a label that would
    run into one already placed is left out (the caption names every kind)."""
    placed: list[tuple[float, float]] = []
    labels = {}
    for span in sorted(chart.missing, key=lambda s: -s.x1):
        width = len(span.label) * LABEL_CHAR_WIDTH
        if span.x1 - width >= chart.left:
            extent, anchor, x = (span.x1 - width, span.x1), "end", span.x1
        else:
            extent, anchor, x = (span.x0, span.x0 + width), "start", span.x0
        if extent[1] > chart.right + 1 or any(a < extent[1] and extent[0] < b for a, b in placed):
            continue
        placed.append(extent)
        labels[id(span)] = (
            f'<text class="missing-label" x="{x:g}" y="{chart.top - 5:g}" text-anchor="{anchor}">'
            f"{escape(span.label)}</text>"
        )
    return labels


def chart_rows(rows: Sequence[Bucket]) -> SafeString:
    """The <tr>s of the chart's table: counted buckets, and intake gaps as such
    (buckets still being counted are left out, as on the chart)."""
    out = []
    zone = timezone.get_current_timezone()
    rules = localize.conventions_now()
    write_time = rules.patterns["weekday_day_time"]

    def number(value: float, decimals: int = 0) -> str:
        return localize.number(value, decimals, rules)

    between = _("%(low)s to %(high)s")
    missing = {kind: escape(label) for kind, label in MISSING_LABELS.items()}
    for b in rows:
        if b.missing == UNCOUNTED:
            continue
        expected = "–" if b.expected is None else number(b.expected, 1)
        band = "–" if b.low is None else escape(between % {"low": number(b.low), "high": number(b.high)})
        when = time_tag(b.start, "weekday_day_time", zone, write_time)
        if b.missing:
            numbers = f'<td colspan="2" class="missing-cell">{missing[b.missing]}</td>'
        else:
            numbers = f"<td>{number(b.reports)}</td><td>{number(b.reporters)}</td>"
        out.append(f"<tr><td>{when}</td>{numbers}<td>{expected}</td><td>{band}</td></tr>")
    return mark_safe("\n".join(out))  # safe: numbers, our labels and escaped zone names only


def map_paths(world: WorldMap) -> SafeString:
    out = []
    for shape in world.shapes:
        code = f' data-code="{escape(shape.code)}"' if shape.code else ""
        out.append(
            f'<path class="{shape.shade}" d="{shape.d}"{code}><title>{escape(shape.label)}</title></path>'
        )
    return mark_safe("".join(out))  # safe: the geometry is our committed file; labels escaped
