"""Status sources in the catalog file, loaded with the rest of it."""

import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.catalog import DEFAULT_CATALOG_FILE, load_catalog
from statuspages.models import SourceKind, StatusSource


def test_the_catalog_carries_status_sources_for_at_least_25_services(db):
    summaries = load_catalog()

    sources = StatusSource.objects.select_related("service")
    assert summaries["status sources"].created == sources.count()
    assert sources.values("service").distinct().count() >= 25
    assert sources.filter(kind=SourceKind.STATUSPAGE).count() >= 20
    assert all(s.url.startswith("https://") and s.page_url.startswith("https://") for s in sources)
    github = sources.get(service__slug="github")
    assert (github.kind, github.url) == ("statuspage", "https://www.githubstatus.com/api/v2/summary.json")
    fortnite = sources.get(service__slug="fortnite")
    assert fortnite.components == ["Fortnite"]


def test_loading_twice_changes_nothing_and_keeps_an_operators_tuning(db):
    load_catalog()
    StatusSource.objects.filter(service__slug="github").update(is_active=False, interval_seconds=600)
    before = list(StatusSource.objects.order_by("pk").values())

    summaries = load_catalog()

    assert list(StatusSource.objects.order_by("pk").values()) == before
    assert (summaries["status sources"].created, summaries["status sources"].updated) == (0, 0)


def test_a_reload_applies_a_changed_source(db, tmp_path):
    load_catalog()
    data = json.loads(DEFAULT_CATALOG_FILE.read_text())
    entry = next(s for s in data["status_sources"] if s["service"] == "github")
    entry["name"] = "GitHub Status"
    changed = tmp_path / "catalog.json"
    changed.write_text(json.dumps(data))

    assert load_catalog(changed)["status sources"].updated == 1
    assert StatusSource.objects.get(service__slug="github").name == "GitHub Status"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service": "nope"}, "no service 'nope' in the catalog"),
        ({"kind": "html"}, "kind must be one of statuspage, feed, json"),
        ({"url": "file:///etc/passwd"}, "url is not an http(s) address"),
    ],
)
def test_a_wrong_source_in_the_file_stops_the_load_with_a_reason(db, tmp_path, change, message):
    data = json.loads(DEFAULT_CATALOG_FILE.read_text())
    data["status_sources"][0] |= change
    wrong = tmp_path / "catalog.json"
    wrong.write_text(json.dumps(data))

    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("load_catalog", file=wrong)
    assert not StatusSource.objects.exists()


def test_the_command_reports_the_status_sources(db, capsys):
    call_command("load_catalog")

    assert "status sources: 33 created, 0 updated, 0 unchanged" in capsys.readouterr().out
