"""The chart as a PNG for articles and link previews: title, axes with units, the
expected band, missing stretches shaded and named, a legend outside the data,
and the source line a publication must print."""

from __future__ import annotations

import io
import math
from datetime import timedelta, tzinfo

from pages.charts import MISSING_LABELS
from spikes.timeseries import GAP, Bucket

SOURCE_LINE = "Source: outagewatch user reports"
PER_WORDS = {60: "minute", 300: "5 minutes", 900: "15 minutes", 3600: "hour"}
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
    from matplotlib.figure import Figure

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
            color="#b8c4d6", alpha=0.6, label="Usual range", step="post",
        )  # fmt: skip
        expected = [b.expected for b in rows]
        axes.plot(
            times, expected + [expected[-1]], color="#4d5566", linestyle="--", linewidth=1.2,
            label="Expected", drawstyle="steps-post",
        )  # fmt: skip
        top = max(highs)
    values = [b.reporters if b.is_counted else math.nan for b in rows]
    axes.plot(
        times, values + [values[-1] if values else math.nan], color="#a4161a", linewidth=1.8,
        label="Reports (distinct reporters)", drawstyle="steps-post",
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
    axes.set_ylabel(f"Reports per {PER_WORDS[seconds]} (distinct reporters)")
    axes.set_xlabel(f"Time ({zone_name})")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M", tz=zone))
    axes.set_ylim(0, top * HEADROOM)
    if times:
        axes.set_xlim(times[0], times[-1])
    axes.grid(True, axis="y", color="#dde2ea")
    axes.spines[["top", "right"]].set_visible(False)
    # Below the plot, never over the data.
    axes.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=5, frameon=False, fontsize=9)
    figure.text(0.01, 0.01, SOURCE_LINE, fontsize=9, color="#4d5566")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure
