"""On PostgreSQL, the per-minute counts (spikes_minutecount, spikes_seriesminute)
become tables partitioned by month on their minute (outagewatch/partitioning.py,
spikes/partitions.py), their rows moved over. Nothing changes on SQLite."""

from django.db import migrations

from outagewatch.partitioning import RangePartitioned, convert

# As spikes.partitions.COUNTS were when this migration was written.
COUNTS = (
    RangePartitioned("spikes_minutecount", "minute", "month", ahead=2),
    RangePartitioned("spikes_seriesminute", "minute", "month", ahead=2),
)


def partition(apps, schema_editor):
    for spec in COUNTS:
        convert(spec)


class Migration(migrations.Migration):
    dependencies = [
        ("spikes", "0004_group_existing_outages"),
    ]

    # Backwards they stay partitioned, which the models work with as well.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
