"""The chart as a PNG for articles and link previews: title, axes with units, the
expected band, missing stretches shaded and named, a legend outside the data,
and the source line a publication must print."""

from __future__ import annotations

import io
import math
from datetime import timedelta, tzinfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from outagewatch import localize
from pages.charts import MISSING_LABELS
from spikes.timeseries import GAP, Bucket

PER_WORDS = {
    60: pgettext_lazy("per", "minute"),
    300: pgettext_lazy("per", "5 minutes"),
    900: pgettext_lazy("per", "15 minutes"),
    3600: pgettext_lazy("per", "hour"),
}
# Latin, Greek and Cyrillic from DejaVu (matplotlib's own); Devanagari (Hindi) from
# Debian's fonts-lohit-deva where installed (Dockerfile, .ci/run): matplotlib falls
# back glyph by glyph along this list, and skips a family that is not there.
FONTS = ["DejaVu Sans", "Lohit Devanagari"]
# Headroom above the highest value or band edge, so the peak is never at the frame.
HEADROOM = 1.12


def chart_png(title: str, rows: list[Bucket], seconds: int, zone: tzinfo, zone_name: str) -> bytes:
    out = io.BytesIO()
    chart_figure(title, rows, seconds, zone, zone_name).savefig(out, format="png")
    return out.getvalue()


def chart_figure(title: str, rows: list[Bucket], seconds: int, zone: tzinfo, zone_name: str):
    """The matplotlib Figure of the chart (Agg backend, no display needed)."""
    # Imported here: matplotlib takes a second to import, and only these views need it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.ticker as mticker
    from matplotlib.figure import Figure

    matplotlib.rcParams["font.family"] = FONTS
    figure = Figure(figsize=(10, 5.2), dpi=120)
    axes = figure.add_subplot()
    # One more point at the end, so the last step is drawn its full width.
    times = [b.start.astimezone(zone) for b in rows]
    if rows:
        times.append((rows[-1].start + timedelta(seconds=seconds)).astimezone(zone))
    top = 0.0
    if rows and all(b.expected is not None for b in rows):
        highs = [b.high for b in rows]
        axes.fill_between(
            times, [b.low for b in rows] + [rows[-1].low], highs + [highs[-1]],
            color="#b8c4d6", alpha=0.6, label=_("Usual range"), step="post",
        )  # fmt: skip
        expected = [b.expected for b in rows]
        axes.plot(
            times, expected + [expected[-1]], color="#4d5566", linestyle="--", linewidth=1.2,
            label=_("Expected"), drawstyle="steps-post",
        )  # fmt: skip
        top = max(highs)
    values = [b.reporters if b.is_counted else math.nan for b in rows]
    axes.plot(
        times, values + [values[-1] if values else math.nan], color="#a4161a", linewidth=1.8,
        label=_("Reports (distinct reporters)"), drawstyle="steps-post",
    )  # fmt: skip
    counted = [v for v in values if not math.isnan(v)]
    top = max([top, *counted, 5.0])
    shaded = set()
    for b in rows:
        if b.missing:
            label = MISSING_LABELS[b.missing].capitalize()
            axes.axvspan(
                b.start.astimezone(zone), (b.start + timedelta(seconds=seconds)).astimezone(zone),
                color="#8a94a6" if b.missing == GAP else "#dde2ea", alpha=0.45, linewidth=0,
                hatch="//" if b.missing == GAP else None,
                label=None if b.missing in shaded else label,
            )  # fmt: skip
            shaded.add(b.missing)
    axes.set_title(title, loc="left", fontsize=14, fontweight="bold")
    axes.set_ylabel(_("Reports per %(per)s (distinct reporters)") % {"per": PER_WORDS[seconds]})
    axes.set_xlabel(_("Time (%(zone)s)") % {"zone": zone_name})
    patterns = localize.conventions_now().patterns
    axes.xaxis.set_major_formatter(
        mticker.FuncFormatter(
            lambda x, _pos: (
                f"{patterns['day_month'](mdates.num2date(x, tz=zone))}\n{patterns['time'](mdates.num2date(x, tz=zone))}"
            )
        )
    )
    axes.set_ylim(0, top * HEADROOM)
    if times:
        axes.set_xlim(times[0], times[-1])
    axes.grid(True, axis="y", color="#dde2ea")
    axes.spines[["top", "right"]].set_visible(False)
    # Below the plot, never over the data.
    axes.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=5, frameon=False, fontsize=9)
    figure.text(0.01, 0.01, _("Source: outagewatch user reports"), fontsize=9, color="#4d5566")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure
