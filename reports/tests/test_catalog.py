"""The catalog: regions from ISO 3166-1, and a loader that can run any number of times."""

import json

import pycountry
import pytest
from django.core.management import call_command

from reports.catalog import DEFAULT_CATALOG_FILE, get_catalog, load_catalog
from reports.models import Category, ProblemType, Region, Service, ServiceGroup, ServiceProblem
from reports.tests.factories import ServiceFactory


def test_every_iso_country_is_a_region(db):
    assert Region.objects.count() == len(pycountry.countries)
    assert Region.objects.get(code="IN").name == "India"


def test_the_starting_catalog_is_big_and_real(db):
    load_catalog()

    assert Service.objects.count() >= 60
    meta = ServiceGroup.objects.get(slug="meta")
    assert {"whatsapp", "messenger", "facebook", "instagram", "threads"} <= set(
        meta.services.values_list("slug", flat=True)
    )
    for category in ["messaging", "social", "video", "gaming", "email", "banking", "cloud", "isp", "mobile"]:
        assert Service.objects.filter(category=category).count() >= 5, category
    assert set(Service.objects.values_list("category", flat=True)) <= set(Category.values)
    whatsapp = Service.objects.get(slug="whatsapp")
    assert [p.slug for p in whatsapp.ordered_problem_types()][:3] == [
        "messages",
        "pictures",
        "voice-messages",
    ]


def test_loading_twice_changes_nothing(db):
    load_catalog()
    before = {
        "services": list(Service.objects.order_by("pk").values()),
        "problems": list(ProblemType.objects.order_by("pk").values()),
        "groups": list(ServiceGroup.objects.order_by("pk").values()),
        "offers": list(Service.problem_types.through.objects.order_by("pk").values()),
    }

    summaries = load_catalog()

    after = {
        "services": list(Service.objects.order_by("pk").values()),
        "problems": list(ProblemType.objects.order_by("pk").values()),
        "groups": list(ServiceGroup.objects.order_by("pk").values()),
        "offers": list(Service.problem_types.through.objects.order_by("pk").values()),
    }
    assert after == before
    assert all(s.created == 0 and s.updated == 0 for s in summaries.values())


def test_a_reload_applies_changes_and_keeps_an_operators_deactivation(db, tmp_path):
    load_catalog()
    Service.objects.filter(slug="whatsapp").update(is_active=False)
    data = json.loads(DEFAULT_CATALOG_FILE.read_text())
    entry = next(s for s in data["services"] if s["slug"] == "whatsapp")
    entry["name"] = "WhatsApp Messenger"
    entry["problems"] = list(reversed(entry["problems"]))
    changed = tmp_path / "catalog.json"
    changed.write_text(json.dumps(data))

    summaries = load_catalog(changed)

    whatsapp = Service.objects.get(slug="whatsapp")
    assert whatsapp.name == "WhatsApp Messenger"
    assert [p.slug for p in whatsapp.ordered_problem_types()] == entry["problems"]
    assert whatsapp.is_active is False
    assert summaries["services"].updated == 1


def test_the_command_reports_what_it_did(db, capsys):
    call_command("load_catalog")
    call_command("load_catalog")

    out = capsys.readouterr().out
    assert "services: 0 created, 0 updated" in out


def test_the_command_refuses_a_missing_file(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No catalog file"):
        call_command("load_catalog", file=tmp_path / "missing.json")


def test_the_intakes_snapshot_follows_every_saved_or_deleted_catalog_row(db, settings):
    settings.CATALOG_CACHE_SECONDS = 3600
    service = ServiceFactory(slug="whatsapp", problems=["messages"])
    assert set(get_catalog().services["whatsapp"].problems) == {"messages"}

    ServiceProblem.objects.create(service=service, problem_type=ProblemType.objects.create(slug="calls"))
    assert set(get_catalog().services["whatsapp"].problems) == {"messages", "calls"}

    service.is_active = False
    service.save()
    assert get_catalog().services["whatsapp"].is_active is False

    Region.objects.create(code="XK", name="Kosovo")
    assert "XK" in get_catalog().regions

    service.countries.set(["XK"])
    assert not get_catalog().services["whatsapp"].is_offered_in("DE")

    service.delete()
    assert "whatsapp" not in get_catalog().services


def test_services_say_where_they_are_offered_and_twelve_countries_have_ten_of_their_own(db):
    load_catalog()

    assert not Service.objects.get(slug="whatsapp").countries.exists()  # worldwide
    assert set(Service.objects.get(slug="vivo").countries.values_list("code", flat=True)) == {"BR"}
    own = {}
    for code in Service.countries.through.objects.values_list("region_id", flat=True):
        own[code] = own.get(code, 0) + 1
    big = {code for code, n in own.items() if n >= 10}
    assert {"US", "GB", "DE", "FR", "ES", "IT", "BR", "IN", "MX", "JP", "AU", "CA"} <= big
    offered = set(Service.objects.offered_in("DE").values_list("slug", flat=True))
    assert {"whatsapp", "sparkasse", "vodafone"} <= offered and "chase" not in offered
    kinds = set(Service.objects.filter(countries="IN").values_list("category", flat=True))
    assert {"mobile", "banking", "isp", "public", "payments"} <= kinds


def test_a_reload_sets_a_services_countries_and_refuses_an_unknown_code(db, tmp_path):
    load_catalog()
    data = json.loads(DEFAULT_CATALOG_FILE.read_text())
    entry = next(s for s in data["services"] if s["slug"] == "vivo")
    entry["countries"] = ["BR", "PT"]
    changed = tmp_path / "catalog.json"
    changed.write_text(json.dumps(data))

    summaries = load_catalog(changed)
    again = load_catalog(changed)

    assert set(Service.objects.get(slug="vivo").countries.values_list("code", flat=True)) == {"BR", "PT"}
    assert summaries["services"].updated == 1 and again["services"].updated == 0
    entry["countries"] = ["BR", "XX"]
    changed.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"vivo: unknown country codes \['XX'\]"):
        load_catalog(changed)
