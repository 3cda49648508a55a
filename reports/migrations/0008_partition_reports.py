"""On PostgreSQL, reports_report becomes a table partitioned by day on created_at
(outagewatch/partitioning.py, spikes/partitions.py), its rows moved over. The table
is locked while they are copied: with the Redis stream on, the intake keeps taking
reports meanwhile and the mover stores them afterwards. Nothing changes on SQLite."""

from django.db import migrations

from outagewatch.partitioning import RangePartitioned, convert, revert

# As spikes.partitions.REPORTS was when this migration was written.
REPORTS = RangePartitioned("reports_report", "created_at", "day", ahead=7)


def partition(apps, schema_editor):
    convert(REPORTS)


def unpartition(apps, schema_editor):
    revert(REPORTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_report_intake_id_unique_with_time"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
