"""Partitioned storage on PostgreSQL: reports by day, per-minute counts by month,
partitions made ahead, a default partition that never refuses a row, retention by
whole partitions, and queries that read only the partitions of their time range."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.utils import timezone

from outagewatch import partitioning
from outagewatch.partitioning import RangePartitioned
from reports.models import Report
from spikes import counting, partitions, retention, tasks
from spikes.models import MinuteCount, PipelineState, Series, SeriesMinute, SubdivisionMinute
from spikes.tests.factories import add_reports

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's (SQLite keeps plain tables)"
)

NOW = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


def partition_of(table: str, **where) -> list[str]:
    """The partitions holding the rows of `table` that match `where` (column = value)."""
    condition = " AND ".join(f"{column} = %s" for column in where) or "TRUE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {condition}", list(where.values())
        )
        return sorted(row[0] for row in cursor.fetchall())


def scanned(queryset) -> set[str]:
    """The tables the query's plan reads (EXPLAIN's "Relation Name"s)."""

    def relations(node: dict) -> set[str]:
        found = {node["Relation Name"]} if "Relation Name" in node else set()
        for child in node.get("Plans", []):
            found |= relations(child)
        return found

    return relations(json.loads(queryset.explain(format="json"))[0]["Plan"])


@pytest.fixture
def ready(db):
    """The partitions of the days and months around NOW, as the hourly task makes them."""
    partitions.maintain(NOW)


def test_the_tables_are_partitioned_by_day_and_by_month(db):
    assert partitioning.is_partitioned("reports_report")
    assert partitioning.is_partitioned("spikes_minutecount")
    assert partitioning.is_partitioned("spikes_seriesminute")
    assert partitioning.is_partitioned("spikes_subdivisionminute")


def test_maintenance_makes_a_week_of_days_and_two_months_ahead_and_is_idempotent(ready):
    days = [p.start for p in partitioning.partitions(partitions.REPORTS)]
    months = [p.start for p in partitioning.partitions(partitions.SERIES_MINUTES)]

    assert [NOW.replace(hour=0, minute=0) + timedelta(days=n) for n in range(8)] <= days
    assert {datetime(2026, m, 1, tzinfo=UTC) for m in (3, 4, 5)} <= set(months)
    assert partitions.maintain(NOW) == {spec.table: [] for spec in partitions.ALL}


def test_a_report_lands_in_the_partition_of_its_day(ready, whatsapp):
    add_reports(whatsapp, NOW, minutes=1, per_minute=3)

    assert partition_of("reports_report") == ["reports_report_p20260305"]


def test_a_report_whose_day_has_no_partition_is_kept_in_the_default_then_moved_to_its_own(ready, whatsapp):
    long_ago = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)
    add_reports(whatsapp, long_ago, minutes=2, per_minute=5)
    ids = sorted(Report.objects.values_list("pk", flat=True))

    assert partition_of("reports_report") == ["reports_report_default"]

    made = partitions.maintain(NOW)

    assert made["reports_report"] == ["reports_report_p20250714"]
    assert partition_of("reports_report") == ["reports_report_p20250714"]
    assert sorted(Report.objects.values_list("pk", flat=True)) == ids
    assert partitioning.count_rows("reports_report_default") == 0


def test_a_report_stored_by_the_orm_into_a_day_without_partition_is_never_refused(ready, whatsapp):
    problem = whatsapp.ordered_problem_types()[0]
    report = Report.objects.create(
        service=whatsapp, problem=problem, region_id="US", source="api", fingerprint="x",
        created_at=datetime(2031, 1, 1, tzinfo=UTC),
    )  # fmt: skip

    assert Report.objects.get(pk=report.pk).created_at.year == 2031
    assert partition_of("reports_report", id=report.pk) == ["reports_report_default"]


def test_counting_reads_only_the_partition_of_the_minutes_it_counts(ready, whatsapp):
    start = NOW - timedelta(minutes=3)
    counting_query = (
        Report.objects.filter(created_at__gte=start, created_at__lt=NOW)
        .annotate(at=TruncMinute("created_at"))
        .values_list("at", "service_id")
        .annotate(n=Count("id"))
        .order_by()
    )

    assert scanned(counting_query) == {"reports_report_p20260305"}


def test_a_chart_reads_only_the_months_of_its_range(ready):
    partitioning.ensure(partitions.SERIES_MINUTES, NOW - timedelta(days=40), NOW)
    one_day = SeriesMinute.objects.filter(series_id=1, minute__gte=NOW - timedelta(days=1), minute__lt=NOW)
    ten_days = SeriesMinute.objects.filter(series_id=1, minute__gte=NOW - timedelta(days=10), minute__lt=NOW)

    assert scanned(one_day) == {"spikes_seriesminute_p202603"}
    assert scanned(ten_days) == {"spikes_seriesminute_p202602", "spikes_seriesminute_p202603"}


def test_the_repeat_check_reads_no_day_before_its_window(ready, whatsapp):
    partitioning.ensure(partitions.REPORTS, NOW - timedelta(days=3), NOW)
    lately = Report.objects.filter(
        service_id=whatsapp.pk, fingerprint="f", created_at__gt=NOW - timedelta(minutes=15)
    )

    read = scanned(lately)

    # Today and the empty days made ahead (and the default partition, since the
    # range has no end); never a day before.
    assert "reports_report_p20260305" in read
    days_before = {
        p.name for p in partitioning.partitions(partitions.REPORTS) if p.end <= NOW.replace(hour=0)
    }
    assert days_before and not days_before & read


def test_counts_land_in_the_month_of_their_minute(ready, whatsapp):
    add_reports(whatsapp, NOW - timedelta(minutes=5), minutes=3, per_minute=4)

    counting.count_range(NOW - timedelta(minutes=5), NOW)

    assert MinuteCount.objects.count() == 3
    assert partition_of("spikes_minutecount") == ["spikes_minutecount_p202603"]
    assert partition_of("spikes_seriesminute") == ["spikes_seriesminute_p202603"]


def test_retention_drops_whole_days_and_nothing_newer(ready, whatsapp):
    add_reports(whatsapp, NOW - timedelta(days=100), minutes=2, per_minute=5)
    add_reports(whatsapp, NOW - timedelta(days=89, hours=20), minutes=2, per_minute=5)
    add_reports(whatsapp, NOW - timedelta(days=10), minutes=2, per_minute=5)
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": NOW})

    cutoff = retention.cutoff_for(NOW, days=90)
    dropped = retention.purge(cutoff)

    # 90 days before 14:30 is 14:30 on 5 December; the cutoff is that day's start,
    # so the reports of 5 December (89 days 20 hours ago is 18:30 that day) stay.
    assert cutoff == datetime(2025, 12, 5, tzinfo=UTC)
    assert dropped == 10
    assert Report.objects.count() == 20
    assert not [p for p in partitioning.partitions(partitions.REPORTS) if p.end <= cutoff]


def test_counts_past_their_retention_go_by_whole_months(ready, whatsapp, settings):
    settings.COUNT_RETENTION_MONTHS = 2
    for minute in (datetime(2025, 11, 10, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC), NOW):
        add_reports(whatsapp, minute, minutes=1, per_minute=2, region="DE", subdivision="DE-BY")
        counting.count_range(minute, minute + timedelta(minutes=1))

    partitions.maintain(NOW)

    # Two whole months before March: January and February stay, November goes.
    for model in (MinuteCount, SeriesMinute, SubdivisionMinute):
        assert [m.strftime("%Y-%m") for m in model.objects.dates("minute", "month")] == ["2026-01", "2026-03"]
    assert Series.objects.filter(service=whatsapp).count() == 2  # the series stay, only old minutes went


def test_converting_a_plain_table_keeps_rows_ids_indexes_and_constraints(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE scratch (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "at timestamptz NOT NULL, label text NOT NULL CHECK (label <> ''), "
            "CONSTRAINT scratch_once UNIQUE (label, at))"
        )
        cursor.execute("CREATE INDEX scratch_label ON scratch (label)")
        cursor.execute(
            "INSERT INTO scratch (at, label) SELECT %s - i * interval '1 day', 'row ' || i "
            "FROM generate_series(1, 40) i",
            [NOW],
        )
    spec = RangePartitioned("scratch", "at", "day", ahead=2)

    partitioning.convert(spec, now=NOW)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT tableoid), max(id) FROM scratch")
        assert cursor.fetchone() == (40, 40, 40)
        cursor.execute("INSERT INTO scratch (at, label) VALUES (%s, 'new') RETURNING id", [NOW])
        assert cursor.fetchone() == (41,)  # the identity goes on where it was
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'scratch'::regclass ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == ["scratch_label", "scratch_once", "scratch_pkey"]
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'scratch_pkey'")
        assert cursor.fetchone() == ("PRIMARY KEY (id, at)",)
    assert len(partitioning.partitions(spec)) == 40 + 3
    with pytest.raises(Exception, match="check constraint"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO scratch (at, label) VALUES (%s, '')", [NOW])


def test_converting_refuses_a_unique_constraint_without_the_partition_column(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE scratch (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "at timestamptz NOT NULL, label text UNIQUE)"
        )

    with pytest.raises(ValueError, match="lacks the partition column at"):
        partitioning.convert(RangePartitioned("scratch", "at", "day", ahead=1), now=NOW)


def test_the_maintenance_task_runs_hourly_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["maintain-partitions"]

    assert entry["task"] == "spikes.tasks.maintain_partitions"
    assert (entry["schedule"].hour, entry["schedule"].minute) == (set(range(24)), {7})


def test_the_maintenance_task_makes_todays_partition_when_it_is_missing(db):
    today = partitions.REPORTS.start_of(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS reports_report_p{today:%Y%m%d}")

    made = tasks.maintain_partitions.apply().get()

    assert f"reports_report_p{today:%Y%m%d}" in made["reports_report"]


def test_a_dry_run_counts_the_waiting_reports_and_changes_nothing(ready, whatsapp):
    add_reports(whatsapp, NOW - timedelta(days=200), minutes=1, per_minute=4)
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": NOW})
    before = partitioning.partitions(partitions.REPORTS)

    planned = retention.plan(NOW, days=90)

    assert planned.reports == 4
    assert partitioning.partitions(partitions.REPORTS) == before
    assert partition_of("reports_report") == ["reports_report_default"]


def primary_key(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_move_existing_reports_and_counts_into_partitions_and_back(whatsapp):
    plain = [
        ("reports", "0007_report_intake_id_unique_with_time"),
        ("spikes", "0006_verdict_apart_from_lifecycle"),
    ]
    MigrationExecutor(connection).migrate(plain)
    assert not partitioning.is_partitioned("reports_report")
    assert primary_key("reports_report") == "PRIMARY KEY (id)"
    # Three days of reports from Bavaria, counted (counts in two months), as a site
    # that ran before partitioning has them.
    for day in (datetime(2026, 2, 28, 23, 58, tzinfo=UTC), NOW - timedelta(days=1), NOW):
        add_reports(whatsapp, day, minutes=3, per_minute=2, region="DE", subdivision="DE-BY")
        counting.count_range(day, day + timedelta(minutes=3))
    reports = sorted(Report.objects.values_list("pk", "created_at", "subdivision", "intake_id"))
    counts = {model: model.objects.count() for model in (MinuteCount, SeriesMinute, SubdivisionMinute)}

    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())

    assert sorted(Report.objects.values_list("pk", "created_at", "subdivision", "intake_id")) == reports
    assert {r[2] for r in reports} == {"DE-BY"} and len(reports) == 18
    assert partition_of("reports_report") == [
        "reports_report_p20260228", "reports_report_p20260301", "reports_report_p20260304", "reports_report_p20260305"
    ]  # fmt: skip
    assert {model: model.objects.count() for model in counts} == counts
    assert partition_of("spikes_subdivisionminute") == [
        "spikes_subdivisionminute_p202602", "spikes_subdivisionminute_p202603"
    ]  # fmt: skip
    assert primary_key("reports_report") == "PRIMARY KEY (id, created_at)"
    # The identity goes on after the rows moved, and a report of today still lands.
    assert add_reports(whatsapp, timezone.now(), minutes=1, per_minute=1) == 1
    assert Report.objects.latest("pk").pk == max(r[0] for r in reports) + 1

    MigrationExecutor(connection).migrate(plain)  # and back: plain tables, every row kept

    assert not partitioning.is_partitioned("reports_report")
    assert not partitioning.is_partitioned("spikes_subdivisionminute")
    assert primary_key("reports_report") == "PRIMARY KEY (id)"
    assert Report.objects.count() == 19
    assert {model: model.objects.count() for model in counts} == counts
    latest = MigrationExecutor(connection)  # leave the database as the other tests expect it
    latest.migrate(latest.loader.graph.leaf_nodes())
