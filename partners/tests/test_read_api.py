"""The read endpoints: what each lists, how its filters narrow it, and the 400s."""

from datetime import timedelta

import pytest

from partners.tests.conftest import T0, make_incident, make_spike


def errors_of(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    return body["errors"]


class TestServices:
    def test_it_lists_services_with_their_problem_types_and_status(self, api, whatsapp, instagram):
        spike = make_spike(whatsapp, T0, level="warning")

        body = api.get("/api/v1/services/").json()

        by_slug = {s["slug"]: s for s in body}
        assert by_slug["whatsapp"]["group"] == "meta"
        assert by_slug["whatsapp"]["problem_types"] == ["messages", "pictures", "login"]
        assert (by_slug["whatsapp"]["status"], by_slug["whatsapp"]["level"]) == ("suspected", "warning")
        assert by_slug["whatsapp"]["open_spike"] == spike.pk
        assert (by_slug["instagram"]["status"], by_slug["instagram"]["level"]) == ("ok", None)

    def test_a_regional_spike_rolls_up_to_the_service_naming_its_region(self, api, whatsapp):
        regional = make_spike(whatsapp, T0, region="US")
        make_spike(whatsapp, T0 - timedelta(days=1), ended_at=T0 - timedelta(hours=20), verdict="suspected")

        service = api.get("/api/v1/services/whatsapp/").json()

        assert (service["status"], service["level"], service["regions"]) == ("suspected", "danger", ["US"])
        assert service["open_spike"] == regional.pk
        assert service["since"] == "2026-03-02T00:00:00Z"

    def test_an_ended_spike_does_not_change_the_service_status(self, api, whatsapp):
        make_spike(whatsapp, T0 - timedelta(days=1), ended_at=T0 - timedelta(hours=20), verdict="suspected")

        service = api.get("/api/v1/services/whatsapp/").json()

        assert (service["status"], service["level"], service["since"]) == ("ok", None, None)

    def test_it_filters_services_by_group_and_category(self, api, whatsapp, instagram, comcast):
        assert [s["slug"] for s in api.get("/api/v1/services/?group=meta").json()] == [
            "instagram",
            "whatsapp",
        ]
        assert [s["slug"] for s in api.get("/api/v1/services/?category=isp").json()] == ["comcast"]

    @pytest.mark.parametrize(
        ("query", "parameter"), [("group=nobody", "group"), ("category=toys", "category")]
    )
    def test_it_refuses_unknown_filter_values_naming_the_parameter(self, api, whatsapp, query, parameter):
        assert parameter in errors_of(api.get(f"/api/v1/services/?{query}"))

    def test_an_unknown_service_is_a_404_in_the_error_shape(self, api, db):
        response = api.get("/api/v1/services/nothing-here/")

        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}


def test_it_lists_problem_types_and_regions(api, whatsapp):
    assert {"slug": "pictures", "name": "Pictures"} in api.get("/api/v1/problem-types/").json()
    assert api.get("/api/v1/regions/DE/").json() == {"code": "DE", "name": "Germany"}
    assert len(api.get("/api/v1/regions/").json()) > 240


def test_the_live_status_lists_every_service_with_an_open_spike(api, whatsapp, instagram, comcast):
    make_spike(whatsapp, T0, level="danger")
    make_spike(comcast, T0, region="US", level="warning")
    make_spike(instagram, T0 - timedelta(days=1), ended_at=T0 - timedelta(hours=20), verdict="suspected")

    body = api.get("/api/v1/live-status/").json()

    assert [(s["slug"], s["level"]) for s in body] == [("comcast", "warning"), ("whatsapp", "danger")]
    assert [(sp["region"], sp["level"]) for sp in body[0]["spikes"]] == [("US", "warning")]


class TestSpikes:
    @pytest.fixture
    def spikes(self, whatsapp, instagram, comcast):
        return {
            "wa": make_spike(whatsapp, T0, level="danger"),
            "wa_us": make_spike(whatsapp, T0 + timedelta(minutes=1), region="US", level="warning"),
            "ig": make_spike(
                instagram, T0 - timedelta(days=2), ended_at=T0 - timedelta(days=1), verdict="suspected"
            ),
            "isp": make_spike(
                comcast, T0 - timedelta(days=5), region="DE", verdict="dismissed", level="warning"
            ),
        }

    def ids(self, api, query=""):
        return [s["id"] for s in api.get(f"/api/v1/spikes/?{query}").json()["results"]]

    def test_it_lists_spikes_newest_first(self, api, spikes):
        assert self.ids(api) == [spikes[k].pk for k in ("wa_us", "wa", "ig", "isp")]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("service=whatsapp", ["wa_us", "wa"]),
            ("group=meta", ["wa_us", "wa", "ig"]),
            ("region=US", ["wa_us"]),
            ("region=all", ["wa", "ig"]),
            ("region=de", ["isp"]),
            ("level=warning", ["wa_us", "isp"]),
            ("verdict=dismissed", ["isp"]),
            ("since=2026-03-01T00:00:00Z", ["wa_us", "wa"]),
            ("until=2026-03-01T00:00:00Z", ["ig", "isp"]),
            ("service=whatsapp&region=all&level=danger", ["wa"]),
        ],
    )
    def test_each_filter_narrows_the_list(self, api, spikes, query, expected):
        assert self.ids(api, query) == [spikes[k].pk for k in expected]

    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("service=nope", "service"),
            ("group=nope", "group"),
            ("region=XX", "region"),
            ("level=red", "level"),
            ("verdict=down", "verdict"),
            ("since=yesterday", "since"),
            ("until=2026-13-01", "until"),
            ("cursor=garbage", "cursor"),
            ("limit=0", "limit"),
            ("limit=many", "limit"),
            ("format=xml", "format"),
        ],
    )
    def test_it_refuses_bad_parameters_naming_them(self, api, spikes, query, parameter):
        assert parameter in errors_of(api.get(f"/api/v1/spikes/?{query}"))

    def test_cursor_pages_walk_the_whole_list_once(self, api, spikes):
        seen, url = [], "/api/v1/spikes/?limit=3"
        while url:
            page = api.get(url).json()
            seen += [s["id"] for s in page["results"]]
            url = page["next"]

        assert seen == self.ids(api)

    def test_a_spike_in_detail_carries_its_history(self, api, spikes):
        spike = spikes["ig"]
        spike.changes.create(at=spike.ended_at, kind="resolved", level=spike.level)

        body = api.get(f"/api/v1/spikes/{spike.pk}/").json()

        assert body["service"] == "instagram" and body["problems"] == {"pictures": 0.7, "messages": 0.3}
        assert [c["kind"] for c in body["history"]] == ["opened", "resolved"]


def test_incidents_list_their_spikes_and_filter_by_group_and_time(api, whatsapp, instagram, meta):
    spikes = [make_spike(whatsapp, T0), make_spike(instagram, T0 + timedelta(minutes=2))]
    incident = make_incident(meta, spikes)

    listed = api.get("/api/v1/incidents/?group=meta&since=2026-03-01T00:00:00Z").json()["results"]

    assert [i["id"] for i in listed] == [incident.pk]
    assert [s["service"] for s in listed[0]["spikes"]] == ["whatsapp", "instagram"]
    assert api.get("/api/v1/incidents/?until=2026-03-01T00:00:00Z").json()["results"] == []
    assert "kind" in errors_of(api.get("/api/v1/incidents/?kind=huge"))


class TestSpikeFormats:
    def test_the_spike_list_answers_304_until_a_spike_changes(self, api, whatsapp):
        spike = make_spike(whatsapp, T0)
        first = api.get("/api/v1/spikes/")
        same = api.get("/api/v1/spikes/", HTTP_IF_NONE_MATCH=first["ETag"])
        spike.level = "warning"
        spike.save()
        changed = api.get("/api/v1/spikes/", HTTP_IF_NONE_MATCH=first["ETag"])

        assert same.status_code == 304 and same["ETag"] == first["ETag"]
        assert "X-RateLimit-Remaining" in same
        assert changed.status_code == 200

    def test_a_spike_in_detail_has_an_etag_too(self, api, whatsapp):
        url = f"/api/v1/spikes/{make_spike(whatsapp, T0).pk}/"
        first = api.get(url)

        assert api.get(url, HTTP_IF_NONE_MATCH=f'W/{first["ETag"]}, "other"').status_code == 304

    def test_the_spike_list_comes_as_csv(self, api, whatsapp):
        make_spike(whatsapp, T0)

        lines = api.get("/api/v1/spikes/?format=csv").content.decode().splitlines()

        assert lines[0].startswith(
            "id,service,service_name,region,level,verdict,confirmed_by,dismissed_reason,verdict_note,"
            "verdict_url,verdict_at,started_at"
        )
        assert ",whatsapp,WhatsApp,,danger,suspected,,,,,,2026-03-02T00:00:00Z," in lines[1]
        assert '""pictures"": 0.7' in lines[1] and '""messages"": 0.3' in lines[1]  # shares as JSON

    def test_an_empty_csv_list_still_has_its_header(self, api, db):
        assert api.get("/api/v1/spikes/", HTTP_ACCEPT="text/csv").content.decode().startswith("id,service,")

    def test_csv_is_not_offered_where_it_makes_no_sense(self, api, db):
        assert "format" in errors_of(api.get("/api/v1/services/?format=csv"))
