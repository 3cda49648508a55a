"""The backtest command, on small hand-made files."""

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partners.api.serializers import SpikeSerializer
from reports.models import Report
from spikes.models import Spike

START = datetime(2026, 3, 2, tzinfo=UTC)
OUTAGE = START + timedelta(days=2, hours=1)


def write_reports(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["created_at", "service", "region", "problem", "reporter"])
        writer.writerows(rows)


def quiet_days_then_an_outage():
    for minute in range(2 * 1440 + 180):
        at = START + timedelta(minutes=minute)
        busy = OUTAGE <= at < OUTAGE + timedelta(minutes=30)
        for i in range(40 if busy else 3):
            stamp = (at + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            problem = "uploads" if busy and i % 4 else "login"
            yield stamp, "acme-cloud", "DE", problem, f"u{minute}-{i}"


@pytest.mark.django_db
def test_it_replays_reports_and_writes_the_spikes_it_found(tmp_path):
    reports, out = tmp_path / "reports.csv", tmp_path / "spikes.json"
    write_reports(reports, quiet_days_then_an_outage())

    call_command("backtest", str(reports), out=out)

    spikes = json.loads(out.read_text())
    overall = [s for s in spikes if s["region"] == ""]
    assert len(overall) == 1
    spike = overall[0]
    assert spike["service"] == "acme-cloud"
    assert spike["level"] in {"warning", "danger"}
    started = datetime.fromisoformat(spike["started_at"])
    detected = datetime.fromisoformat(spike["detected_at"])
    assert abs(started - OUTAGE) <= timedelta(minutes=2)
    assert timedelta(0) < detected - OUTAGE <= timedelta(minutes=5)
    assert datetime.fromisoformat(spike["ended_at"]) > OUTAGE
    assert spike["peak_reports"] >= 40 and spike["expected_reports"] < 10
    assert max(spike["problems"], key=spike["problems"].get) == "uploads"
    assert spike["regions"] == {"DE": 1.0}
    # The one JSON form of a spike: what the partner API and the webhooks send.
    assert list(spike) == SpikeSerializer.Meta.fields
    # The replay ran in a database of its own.
    assert Report.objects.count() == 0 and Spike.objects.count() == 0


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([], ["created_at", "service", "problem"], "lacks the column(s) region, reporter"),
        ([("2026-03-02 10:00:00", "x", "US", "login", "u")], None, "has no time zone"),
        ([("yesterday", "x", "US", "login", "u")], None, "is not an ISO 8601 time"),
        ([], None, "holds no reports"),
    ],
    ids=["missing columns", "naive time", "not a time", "empty"],
)
def test_it_refuses_a_bad_reports_file_with_the_reason(tmp_path, capfd, rows, header, message):
    reports = tmp_path / "reports.csv"
    with reports.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or ["created_at", "service", "region", "problem", "reporter"])
        writer.writerows(rows)

    with pytest.raises(CommandError):
        call_command("backtest", str(reports), out=tmp_path / "spikes.json")
    assert message in capfd.readouterr().err


def test_the_series_mode_flags_the_row_where_a_spike_opens(tmp_path):
    series, out = tmp_path / "series.csv", tmp_path / "flags.csv"
    start = datetime(2015, 3, 2)
    with series.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value"])
        for i in range(4 * 288):
            value = 300 if 3 * 288 + 100 <= i < 3 * 288 + 130 else 20 + (i % 7)
            writer.writerow([(start + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S"), value])

    call_command("backtest", series=series, out=out)

    with out.open() as handle:
        flags = list(csv.DictReader(handle))
    assert len(flags) == 4 * 288
    opened = [i for i, row in enumerate(flags) if row["is_spike"] == "1"]
    assert len(opened) == 1 and 3 * 288 + 100 <= opened[0] <= 3 * 288 + 104
    assert flags[opened[0]]["level"] in {"warning", "danger"}
    assert float(flags[3 * 288 + 50]["expected"]) == pytest.approx(23, abs=4)


def test_the_series_mode_refuses_a_file_without_its_header(tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("time,count\n2015-01-01 00:00:00,4\n")

    with pytest.raises(CommandError, match="timestamp,value"):
        call_command("backtest", series=series, out=tmp_path / "flags.csv")
