"""POST /api/v1/reports/: what it accepts, and a clear 4xx for everything else."""

import json

import pytest

from reports.models import Report
from reports.tests.factories import ServiceFactory

URL = "/api/v1/reports/"
GOOD = {"service": "whatsapp", "problem": "pictures", "region": "IN"}


def post_json(client, body, **extra):
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.generic("POST", URL, payload, content_type="application/json", **extra)


def test_it_stores_a_valid_report_and_answers_201(client, whatsapp):
    response = post_json(client, {**GOOD, "comment": "pictures stuck on the clock icon"})

    assert response.status_code == 201
    body = response.json()
    assert body["service"] == "whatsapp"
    assert body["problem"] == "pictures"
    assert body["region"] == "IN"
    assert body["source"] == "api"
    assert body["is_repeat"] is False
    assert body["created_at"].endswith("Z")
    report = Report.objects.get(intake_id=body["id"])
    assert (report.service, report.problem.slug, report.region_id) == (whatsapp, "pictures", "IN")
    assert report.comment == "pictures stuck on the clock icon"


def test_it_accepts_slugs_and_region_codes_in_any_case(client, whatsapp):
    response = post_json(client, {"service": "WhatsApp", "problem": "Pictures", "region": "in"})

    assert response.status_code == 201
    assert response.json()["region"] == "IN"


@pytest.mark.parametrize(
    "comment", [{}, {"comment": None}, {"comment": ""}], ids=["left out", "null", "empty"]
)
def test_the_comment_is_optional(client, whatsapp, comment):
    response = post_json(client, {**GOOD, **comment})

    assert response.status_code == 201
    assert Report.objects.get().comment == ""


@pytest.fixture
def inactive_service(db):
    return ServiceFactory(slug="vine", name="Vine", is_active=False, problems=["app"])


BAD_INPUTS = [
    # (what is wrong, body, status, field named, words the message must contain)
    ("unknown service", {**GOOD, "service": "whatsup"}, 400, "service", "Unknown service 'whatsup'"),
    (
        "inactive service",
        {**GOOD, "service": "vine", "problem": "app"},
        400,
        "service",
        "not accepting reports",
    ),
    (
        "problem the service does not offer",
        {**GOOD, "problem": "payments"},
        400,
        "problem",
        "Choose one of: messages, pictures",
    ),
    ("unknown region", {**GOOD, "region": "XX"}, 400, "region", "ISO 3166-1 alpha-2"),
    ("region as a name", {**GOOD, "region": "India"}, 400, "region", "ISO 3166-1 alpha-2"),
    (
        "comment too long",
        {**GOOD, "comment": "x" * 281},
        400,
        "comment",
        "at most 280 characters (it has 281)",
    ),
    ("comment with a NUL byte", {**GOOD, "comment": "a\x00b"}, 400, "comment", "control characters"),
    (
        "comment with a lone surrogate",
        '{"service": "whatsapp", "problem": "pictures", "region": "IN", "comment": "\\ud800"}',
        400,
        "comment",
        "invalid Unicode",
    ),
    ("comment not a string", {**GOOD, "comment": ["a"]}, 400, "comment", "Must be a string"),
    ("comment as an object", {**GOOD, "comment": {}}, 400, "comment", "not an object"),
    ("comment as false", {**GOOD, "comment": False}, 400, "comment", "not a boolean"),
    ("comment as zero", {**GOOD, "comment": 0}, 400, "comment", "not a number"),
    ("service missing", {"problem": "pictures", "region": "IN"}, 400, "service", "required"),
    ("problem missing", {"service": "whatsapp", "region": "IN"}, 400, "problem", "required"),
    ("region missing", {"service": "whatsapp", "problem": "pictures"}, 400, "region", "required"),
    ("service as a number", {**GOOD, "service": 42}, 400, "service", "Must be a string"),
    ("service as an object", {**GOOD, "service": {"slug": "whatsapp"}}, 400, "service", "Must be a string"),
    ("region as null", {**GOOD, "region": None}, 400, "region", "required"),
    ("misspelt field", {**GOOD, "regoin": "IN"}, 400, "non_field_errors", "Unknown field(s): 'regoin'"),
    ("an empty object", {}, 400, "service", "required"),
    ("a JSON array", [GOOD], 400, "non_field_errors", "must be a JSON object, not a JSON array"),
    ("a JSON string", '"whatsapp"', 400, "non_field_errors", "not a JSON string"),
    ("JSON null", "null", 400, "non_field_errors", "must be a JSON object"),
    ("malformed JSON", '{"service": "whatsapp",', 400, None, "not valid JSON"),
    ("not UTF-8", b'{"service": "\xff\xfe"}', 400, None, "not valid JSON"),
    ("NaN literal", '{"service": NaN}', 400, None, "not valid JSON"),
    ("JSON nested too deep", "[" * 2000 + "]" * 2000, 400, None, "nested too deeply"),
    ("an empty body", "", 400, "service", "required"),
    ("an oversized body", {**GOOD, "comment": "x" * 5000}, 413, None, "at most 4096 bytes"),
]


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_it_rejects_bad_input_with_a_clear_message(
    client, whatsapp, inactive_service, body, status, field, words
):
    response = post_json(client, body)

    assert response.status_code == status
    error = response.json()
    assert words in error["detail"]
    if field:
        assert field in error["errors"]
    assert Report.objects.count() == 0


def test_it_answers_415_to_a_form_encoded_body(client, whatsapp):
    response = client.post(URL, GOOD)  # multipart/form-data

    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert Report.objects.count() == 0


def test_it_answers_415_to_plain_text(client, whatsapp):
    response = client.generic("POST", URL, json.dumps(GOOD), content_type="text/plain")

    assert response.status_code == 415


def test_it_answers_405_to_a_get_listing_the_methods_it_takes(client, whatsapp):
    response = client.get(URL)

    assert response.status_code == 405
    assert "GET" in response.json()["detail"] and response["Allow"] == "POST, OPTIONS"


def test_it_answers_options_with_the_methods_it_takes(client, whatsapp):
    response = client.options(URL)

    assert response.status_code == 200 and response["Allow"] == "POST, OPTIONS"


def test_it_names_every_bad_field_at_once(client, whatsapp):
    response = post_json(client, {"service": "whatsapp", "problem": "faxes", "region": "ZZ", "comment": 5})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"problem", "region", "comment"}


def test_a_bad_request_does_not_disturb_reports_already_accepted(client, whatsapp):
    accepted = post_json(client, GOOD)
    post_json(client, "{broken")
    post_json(client, {**GOOD, "region": "XX"})

    assert accepted.status_code == 201
    assert [str(k) for k in Report.objects.values_list("intake_id", flat=True)] == [accepted.json()["id"]]
