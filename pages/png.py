"""The spike chart as a PNG for articles: title, axes with units, the expected
band, and the source line a publication must print."""

from __future__ import annotations

import io
from datetime import tzinfo

from spikes.timeseries import Bucket

SOURCE_LINE = "Source: outagewatch user reports"


def chart_png(title: str, rows: list[Bucket], seconds: int, zone: tzinfo, zone_name: str) -> bytes:
    out = io.BytesIO()
    chart_figure(title, rows, seconds, zone, zone_name).savefig(out, format="png")
    return out.getvalue()


def chart_figure(title: str, rows: list[Bucket], seconds: int, zone: tzinfo, zone_name: str):
    """The matplotlib Figure of the chart (Agg backend, no display needed)."""
    # Imported here: matplotlib takes a second to import, and only this view needs it.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.2), dpi=120)
    axes = figure.add_subplot()
    times = [b.start.astimezone(zone) for b in rows]
    if rows and all(b.expected is not None for b in rows):
        axes.fill_between(
            times,
            [b.low for b in rows],
            [b.high for b in rows],
            color="#b8c4d6",
            alpha=0.6,
            label="Usual range",
            step="post",
        )
        axes.plot(
            times,
            [b.expected for b in rows],
            color="#4d5566",
            linestyle="--",
            linewidth=1.2,
            label="Expected",
        )
    axes.plot(
        times,
        [b.reporters for b in rows],
        color="#a4161a",
        linewidth=1.8,
        label="Reports",
        drawstyle="steps-post",
    )
    axes.set_title(title, loc="left", fontsize=14, fontweight="bold")
    per = {60: "minute", 300: "5 minutes", 900: "15 minutes", 3600: "hour"}[seconds]
    axes.set_ylabel(f"Reports per {per} (distinct reporters)")
    axes.set_xlabel(f"Time ({zone_name})")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M", tz=zone))
    axes.set_ylim(bottom=0)
    axes.grid(True, axis="y", color="#dde2ea")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper right", frameon=False)
    figure.text(0.01, 0.01, SOURCE_LINE, fontsize=9, color="#4d5566")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return figure
