"""Security headers on a page, the API and the admin; HTTPS settings; the admin's
configurable path and throttled log-ins; comments escaped in the admin."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import clear_url_caches

from outagewatch import security
from reports.models import Report
from reports.tests.factories import ServiceFactory

ROOT = Path(__file__).resolve().parents[2]
REPORT = {"service": "whatsapp", "problem": "pictures", "region": "IN"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is slow on purpose; these tests log in a dozen times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def whatsapp(db):
    return ServiceFactory(slug="whatsapp", name="WhatsApp", problems=["messages", "pictures"])


def _page(client):
    return client.get("/status/whatsapp/")


def _api(client):
    return client.post("/api/v1/reports/", json.dumps(REPORT), content_type="application/json")


def _admin(client):
    return client.get("/admin/reports/report/")


SURFACES = [pytest.param(_page, id="page"), pytest.param(_api, id="api"), pytest.param(_admin, id="admin")]


@pytest.mark.parametrize("fetch", SURFACES)
def test_it_sends_a_content_security_policy_without_inline_code_or_framing(fetch, admin_client, whatsapp):
    response = fetch(admin_client)

    assert response.status_code in (200, 201)
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("fetch", SURFACES)
def test_it_forbids_framing_sniffing_and_leaking_the_referrer(fetch, admin_client, whatsapp):
    response = fetch(admin_client)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("fetch", SURFACES)
def test_it_turns_off_browser_features_no_page_uses(fetch, admin_client, whatsapp):
    response = fetch(admin_client)

    features = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    assert features["camera"] == features["geolocation"] == features["microphone"] == "()"


@pytest.mark.parametrize("fetch", SURFACES)
def test_it_sends_hsts_over_https(fetch, admin_client, whatsapp, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = fetch(_Secure(admin_client))

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


class _Secure:
    """A test client whose requests arrive over https."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **extra):
        return self.client.get(path, secure=True, **extra)

    def post(self, path, data=None, **extra):
        return self.client.post(path, data, secure=True, **extra)


def test_it_redirects_plain_http_to_https_but_not_the_health_check(client, whatsapp, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = _page(client)

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/status/whatsapp/"
    assert client.get("/healthz?only=database").status_code == 200


def test_it_trusts_the_proxys_https_header_only_when_told_to(client, whatsapp, settings):
    settings.SECURE_SSL_REDIRECT = True
    behind_tls_proxy = {"HTTP_X_FORWARDED_PROTO": "https"}

    assert client.get("/status/whatsapp/", **behind_tls_proxy).status_code == 301

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/status/whatsapp/", **behind_tls_proxy).status_code == 200


def test_cookies_are_secure_and_hidden_from_scripts_under_https(client, db, django_user_model, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")
    client.get("/admin/login/", secure=True)

    client.post("/admin/login/", {"username": "ops", "password": "a long passphrase"}, secure=True)

    assert client.cookies["csrftoken"]["secure"] is True
    assert client.cookies["sessionid"]["secure"] is True
    assert client.cookies["sessionid"]["httponly"] is True


def test_an_embeddable_view_may_be_framed_by_the_configured_sites_only(settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://news.example", "https://blog.example"]

    @security.embeddable
    def widget(request):
        return HttpResponse("widget")

    middleware = security.SecurityHeadersMiddleware(widget)
    response = middleware(RequestFactory().get("/widget"))

    assert "frame-ancestors https://news.example https://blog.example" in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response.xframe_options_exempt is True


def test_the_policy_can_be_tried_in_report_only_mode(client, whatsapp, settings):
    settings.CSP_REPORT_ONLY = True

    response = _page(client)

    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]
    assert "Content-Security-Policy" not in response


# --- the admin ------------------------------------------------------------------


@pytest.fixture
def admin_at(settings):
    """Reload the URLs with the admin at another path; put them back afterwards."""
    from outagewatch import urls

    def move(path: str) -> None:
        settings.ADMIN_PATH = path
        clear_url_caches()
        importlib.reload(urls)

    yield move
    settings.ADMIN_PATH = "admin/"
    clear_url_caches()
    importlib.reload(urls)


def test_the_admin_answers_at_its_configured_path_only(client, db, admin_at):
    admin_at("backstage-7f3/")

    assert client.get("/backstage-7f3/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 404


def _fail_login(client, username="ops", password="wrong"):
    return client.post("/admin/login/", {"username": username, "password": password})


def test_failed_logins_for_one_name_are_throttled_with_a_reason(client, db, django_user_model, settings):
    settings.ADMIN_LOGIN_RATE = (3, 3600)
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")

    answers = [_fail_login(client, "OPS").status_code for _ in range(3)]
    refused = client.post("/admin/login/", {"username": "ops", "password": "a long passphrase"})

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many failed log-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_from_one_address_are_throttled_whatever_the_name(client, db, settings):
    settings.ADMIN_LOGIN_RATE = (3, 3600)

    answers = [_fail_login(client, f"name{i}").status_code for i in range(4)]

    assert answers == [200, 200, 200, 429]
    other_address = client.post(
        "/admin/login/", {"username": "someone", "password": "x"}, REMOTE_ADDR="198.51.100.9"
    )
    assert other_address.status_code == 200


def test_a_good_login_below_the_limit_is_not_counted_as_a_failure(client, db, django_user_model, settings):
    settings.ADMIN_LOGIN_RATE = (2, 3600)
    django_user_model.objects.create_superuser("ops", "ops@example.org", "a long passphrase")
    _fail_login(client)

    good = client.post("/admin/login/", {"username": "ops", "password": "a long passphrase"})
    client.logout()

    assert good.status_code == 302
    assert _fail_login(client).status_code == 200


def test_the_throttle_keeps_no_raw_address_in_the_cache(client, db, settings):
    from django.core.cache import cache

    from outagewatch import login_throttle

    _fail_login(client)

    request = RequestFactory().post("/admin/login/", {"username": "ops"})
    keys = login_throttle._keys(request)
    assert cache.get_many(keys) and not any("127.0.0.1" in key for key in keys)


def test_comments_are_escaped_in_the_admin(admin_client, client, whatsapp):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post("/status/whatsapp/report/", {"problem": "pictures", "region": "IN", "comment": attack})
    report = Report.objects.get()

    for url in ["/admin/reports/report/", f"/admin/reports/report/{report.pk}/change/"]:
        html = admin_client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


# --- production settings ------------------------------------------------------------


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "HTTPS")}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="outagewatch.example",
        HTTPS="true",
        SECURE_HSTS_PRELOAD="true",
        ADMIN_PATH="backstage-4f7a/",
    )
    env.update(overrides)
    return env


def deploy_check(fail_level: str = "WARNING", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", fail_level],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_check():
    result = deploy_check()

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_complains_without_https():
    result = deploy_check(HTTPS="false")

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W012" in result.stderr


def test_production_refuses_to_start_with_the_admin_at_its_default_path():
    result = deploy_check("ERROR", ADMIN_PATH="admin/")

    assert result.returncode != 0
    assert "outagewatch.E001" in result.stderr and "ADMIN_PATH" in result.stderr


@pytest.mark.parametrize("report_only", [False, True])
def test_static_files_carry_the_policy_and_the_permissions_policy(client, settings, report_only):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    settings.CSP_REPORT_ONLY = report_only
    header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"

    response = client.get("/static/favicon.svg")

    assert response.status_code == 200
    assert "default-src 'self'" in response[header] and "frame-ancestors 'none'" in response[header]
    assert "camera=()" in response["Permissions-Policy"]
