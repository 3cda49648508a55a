"""A report sent with Transfer-Encoding: chunked (no Content-Length) is read, within
the size limits, where the server decodes chunked bodies (gunicorn, as in
production); where it cannot (Django's development server), it is a 411 saying to
send a Content-Length. Never an empty body refused as "service: required"."""

import http.client
import json

import pytest
from django.db import connection

from reports.models import Report
from reports.tests.stack import WebServer

REPORT = {"service": "whatsapp", "problem": "pictures", "region": "IN", "comment": "sent in pieces"}


def post_chunked(host: str, port: int, pieces: list[bytes]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(
            "POST",
            "/api/v1/reports/",
            body=iter(pieces),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def in_pieces(body: bytes, size: int = 7) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def serve(kind: str, folder):
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs the PostgreSQL test database")
    server = WebServer(folder, kind, REPORT_STREAM="0")
    yield server
    server.stop()


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    yield from serve("gunicorn", tmp_path)


@pytest.fixture
def runserver(transactional_db, tmp_path):
    yield from serve("runserver", tmp_path)


def test_a_chunked_report_is_read_and_stored_under_gunicorn(gunicorn, whatsapp):
    status, body = post_chunked("127.0.0.1", gunicorn.port, in_pieces(json.dumps(REPORT).encode()))

    assert status == 201, body
    assert Report.objects.get(intake_id=body["id"]).comment == "sent in pieces"


def test_a_chunked_report_over_the_size_limit_is_a_413(gunicorn, whatsapp):
    big = json.dumps({**REPORT, "comment": "x" * 5000}).encode()

    status, body = post_chunked("127.0.0.1", gunicorn.port, in_pieces(big, 1000))

    assert status == 413 and "at most 4096 bytes" in body["detail"]
    assert not Report.objects.exists()


def test_a_chunked_body_over_what_the_server_takes_is_refused_before_django(gunicorn, whatsapp):
    status, body = post_chunked("127.0.0.1", gunicorn.port, [b"x" * 65536] * 50)  # 3.2 MB

    assert status == 413 and "larger than 2621440 bytes" in body["detail"]


def test_a_server_that_cannot_decode_chunked_bodies_answers_411(runserver, whatsapp):
    status, body = post_chunked("127.0.0.1", runserver.port, in_pieces(json.dumps(REPORT).encode()))

    assert status == 411 and "Content-Length" in body["detail"]
    assert not Report.objects.exists()
