"""A service's time series over the API: buckets from spikes.timeseries, ETags, CSV."""

from datetime import timedelta

import pytest

from partners.tests.conftest import T0
from spikes import pipeline
from spikes.tests.factories import add_reports

NOW = T0 + timedelta(days=2)
URL = "/api/v1/services/whatsapp/series/"


@pytest.fixture
def counted(whatsapp):
    add_reports(whatsapp, NOW - timedelta(minutes=10), minutes=10, per_minute=3, region="US")
    add_reports(whatsapp, NOW - timedelta(minutes=10), minutes=5, per_minute=2, region="DE", reporter="de")
    pipeline.run_pass(NOW)
    return whatsapp


def query(**params):
    base = {"from": (NOW - timedelta(minutes=15)).isoformat(), "until": NOW.isoformat(), "interval": "5m"}
    return base | params


def test_it_gives_reports_and_reporters_per_bucket_in_all_regions(api, counted):
    body = api.get(URL, query()).json()

    assert (body["service"], body["region"], body["interval"]) == ("whatsapp", "", "5m")
    assert [b["start"] for b in body["buckets"]] == [
        "2026-03-03T23:45:00Z",
        "2026-03-03T23:50:00Z",
        "2026-03-03T23:55:00Z",
    ]
    assert [b["reporters"] for b in body["buckets"]] == [0, 25, 15]
    assert body["buckets"][1]["expected"] is None  # two days of history are needed for a baseline


def test_it_narrows_to_one_region_and_to_other_intervals(api, counted):
    germany = api.get(URL, query(region="de")).json()
    minutes = api.get(URL, query(interval="1m")).json()

    assert germany["region"] == "DE"
    assert [b["reports"] for b in germany["buckets"]] == [0, 10, 0]
    assert len(minutes["buckets"]) == 15
    assert sum(b["reports"] for b in minutes["buckets"]) == 40


def test_it_shows_the_expected_level_and_band_once_there_is_a_baseline(api, whatsapp):
    add_reports(whatsapp, T0, minutes=2 * 1440, per_minute=4)
    pipeline.run_pass(NOW)
    pipeline.refresh_baselines(NOW)

    body = api.get(URL, query(interval="1h", **{"from": (NOW - timedelta(hours=2)).isoformat()})).json()

    for bucket in body["buckets"]:
        assert bucket["reporters"] == 240
        assert bucket["low"] < bucket["expected"] < bucket["high"]
        assert bucket["expected"] == pytest.approx(240, rel=0.15)


def test_it_defaults_to_the_last_24_hours_in_5_minute_buckets(api, whatsapp):
    assert len(api.get(URL).json()["buckets"]) in (288, 289)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"interval": "2m"}, "interval"),
        ({"from": "last tuesday"}, "from"),
        ({"until": "2026-02-30T00:00:00Z"}, "until"),
        ({"until": (NOW - timedelta(hours=1)).isoformat()}, "until"),
        ({"from": (NOW - timedelta(days=8)).isoformat()}, "from"),
        ({"from": "0001-01-01T00:00:00Z"}, "from"),
        ({"until": "9999-12-31T23:59:59Z"}, "until"),
        ({"region": "XX"}, "region"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_it_refuses_bad_parameters_naming_them(api, whatsapp, params, parameter):
    response = api.get(URL, query(**params))

    assert response.status_code == 400, response.content
    assert parameter in response.json()["errors"]


def test_the_7_day_limit_of_the_series_module_is_the_message(api, whatsapp):
    response = api.get(URL, query(**{"from": (NOW - timedelta(days=8)).isoformat()}))

    assert "at most 7 days" in response.json()["detail"]


def test_a_service_that_does_not_exist_is_a_404(api, db):
    assert api.get("/api/v1/services/nope/series/").status_code == 404


def test_it_answers_304_when_the_client_has_the_same_series(api, counted):
    first = api.get(URL, query())
    again = api.get(URL, query(), HTTP_IF_NONE_MATCH=first["ETag"])
    add_reports(counted, NOW - timedelta(minutes=2), minutes=1, per_minute=5, reporter="late")
    pipeline.run_pass(NOW + timedelta(minutes=1))
    changed = api.get(URL, query(), HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["ETag"]
    assert again.status_code == 304 and again.content == b""
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


@pytest.mark.parametrize("how", [{"format": "csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_it_gives_the_series_as_csv(api, counted, how):
    params = query() | {k: v for k, v in how.items() if k == "format"}
    headers = {k: v for k, v in how.items() if k != "format"}

    response = api.get(URL, params, **headers)

    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "start,reports,reporters,expected,low,high"
    assert lines[2] == "2026-03-03T23:50:00Z,25,25,,,"
