"""Where in the country: an optional first-level ISO 3166-2 subdivision on a report,
from the API, the form and through the stream, refused clearly when it is not one of
the region's."""

import json
import os
import uuid
from datetime import UTC, datetime

import pytest

from reports import mover, stream
from reports.models import Report
from reports.subdivisions import first_level, problem_with

URL = "/api/v1/reports/"
GOOD = {"service": "whatsapp", "problem": "pictures", "region": "DE"}
redis_only = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL")


def post_json(client, body):
    return client.generic("POST", URL, json.dumps(body), content_type="application/json")


def test_first_level_means_no_parent_in_iso_3166_2():
    assert first_level("DE")["DE-BY"] == "Bayern" and len(first_level("DE")) == 16
    assert set(first_level("GB")) == {"GB-ENG", "GB-NIR", "GB-SCT", "GB-WLS"}
    assert "FR-IDF" in first_level("FR") and "FR-75C" not in first_level("FR")
    assert first_level("VA") == {}


@pytest.mark.parametrize("value", ["DE-BY", "de-by", " DE-BY "])
def test_the_api_takes_a_subdivision_of_the_region_in_any_case(client, whatsapp, value):
    response = post_json(client, {**GOOD, "subdivision": value})

    assert response.status_code == 201
    assert response.json()["subdivision"] == "DE-BY"
    assert Report.objects.get().subdivision == "DE-BY"


@pytest.mark.parametrize(
    "left_out", [{}, {"subdivision": None}, {"subdivision": ""}], ids=["absent", "null", "empty"]
)
def test_the_subdivision_is_optional(client, whatsapp, left_out):
    response = post_json(client, {**GOOD, **left_out})

    assert response.status_code == 201
    assert response.json()["subdivision"] == ""
    assert Report.objects.get().subdivision == ""


BAD = [
    ("unknown", {**GOOD, "subdivision": "DE-XX"}, "'DE-XX' is not a subdivision of Germany (DE)."),
    (
        "another country's",
        {**GOOD, "subdivision": "FR-IDF"},
        "FR-IDF is a subdivision of France, not of Germany",
    ),
    (
        "not first-level",
        {**GOOD, "region": "FR", "subdivision": "FR-75C"},
        "FR-75C (Paris) is part of FR-IDF (Île-de-France): use the first-level subdivision.",
    ),
    ("a name", {**GOOD, "subdivision": "Bavaria"}, "'BAVARIA' is not a subdivision of Germany (DE)."),
    ("a number", {**GOOD, "subdivision": 9}, "Must be a string such as 'DE-BY'"),
    (
        "a country without",
        {**GOOD, "region": "VA", "subdivision": "VA-01"},
        "has no subdivisions to choose from",
    ),
]


@pytest.mark.parametrize(("body", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_subdivision_that_is_not_the_regions_is_a_400_naming_the_field_and_the_choices(
    client, whatsapp, body, words
):
    response = post_json(client, body)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["subdivision"]
    assert words in errors["subdivision"][0]
    if body["region"] == "DE" and isinstance(body["subdivision"], str):
        assert (
            "Choose one of: DE-BW (Baden-Württemberg), DE-BY (Bayern), DE-BE (Berlin)"
            in errors["subdivision"][0]
        )
    assert not Report.objects.exists()


def test_a_bad_region_is_named_alone_not_its_subdivision(client, whatsapp):
    response = post_json(client, {**GOOD, "region": "XX", "subdivision": "XX-YY"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["region"]


def test_every_problem_message_names_the_choices_or_says_none_is_wanted():
    assert problem_with("DE-BY", "DE") is None
    assert "leave it out" in problem_with("DE-XX", "DE")
    assert "leave subdivision out" in problem_with("VA-01", "VA")


def test_the_schema_documents_the_subdivision(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    request = schema["components"]["schemas"]["ReportRequest"]
    assert "subdivision" in request["properties"] and "subdivision" not in request["required"]
    assert "ISO 3166-2" in request["properties"]["subdivision"]["description"]
    assert "subdivision" in schema["components"]["schemas"]["AcceptedReport"]["properties"]


def entry(subdivision: str = "DE-BY") -> stream.Entry:
    return stream.Entry(
        intake_id=uuid.uuid4(),
        service_id=1,
        problem_id=2,
        region="DE",
        comment="",
        source="api",
        fingerprint="f",
        created_at=datetime(2026, 3, 4, 12, 0, 1, 5, tzinfo=UTC),
        subdivision=subdivision,
    )


def test_a_stream_entry_carries_the_subdivision_and_older_entries_still_read():
    sent = entry()
    assert stream.Entry.from_fields({b"v": sent.to_fields()["v"].encode()}) == sent

    older = json.loads(sent.to_fields()["v"])[:8]  # appended before subdivisions existed
    assert stream.Entry.from_fields({b"v": json.dumps(older).encode()}).subdivision == ""
    with pytest.raises(ValueError, match="8 or 9 items"):
        stream.Entry.from_fields({b"v": json.dumps([*older, "DE-BY", "extra"]).encode()})


@redis_only
@pytest.mark.redis
def test_the_mover_stores_the_subdivision_of_a_streamed_report(client, whatsapp, settings):
    settings.REPORT_STREAM = True
    stream.reset()
    stream.client().delete(stream.STREAM, stream.DEAD_LETTERS)
    try:
        response = post_json(client, {**GOOD, "subdivision": "DE-HH"})
        assert response.status_code == 201 and response.json()["stored"] is False

        assert mover.drain() == 1
        assert Report.objects.get().subdivision == "DE-HH"
    finally:
        stream.client().delete(stream.STREAM, stream.DEAD_LETTERS)
        stream.reset()
