"""On PostgreSQL, the per-minute counts (spikes_minutecount, spikes_seriesminute,
spikes_subdivisionminute) become tables partitioned by month on their minute
(outagewatch/partitioning.py, spikes/partitions.py), their rows moved over. Nothing
changes on SQLite."""

from django.db import migrations

from outagewatch.partitioning import RangePartitioned, convert, revert

# As spikes.partitions.COUNTS were when this migration was written.
COUNTS = (
    RangePartitioned("spikes_minutecount", "minute", "month", ahead=2),
    RangePartitioned("spikes_seriesminute", "minute", "month", ahead=2),
    RangePartitioned("spikes_subdivisionminute", "minute", "month", ahead=2),
)


def partition(apps, schema_editor):
    for spec in COUNTS:
        convert(spec)


def unpartition(apps, schema_editor):
    for spec in COUNTS:
        revert(spec)


class Migration(migrations.Migration):
    dependencies = [
        ("spikes", "0006_verdict_apart_from_lifecycle"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
