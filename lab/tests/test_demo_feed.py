"""The demo's live feeder: its reports go through the real intake over HTTP (a live
server), appear as many distinct people, are counted, and its outage is detected."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO
from itertools import takewhile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lab.demo.feeder import Feeder, Intake, identity, posts, subdivision_of
from lab.demo.plan import DemoPlan, live_outage
from lab.demo.seed import seed
from lab.models import DemoRun
from outagewatch.clients import Client
from reports import intake
from reports.models import Report, Service, Source
from reports.subdivisions import first_level
from spikes import counting, pipeline
from spikes.models import ALL_REGIONS, Incident, Level, Series, SeriesMinute, Spike

NOW = datetime(2026, 3, 4, 15, 0, 30, tzinfo=UTC)  # a Wednesday afternoon
REPEAT_WINDOW = timedelta(minutes=15)


class VirtualTime:
    """The feeder's clock, where sleeping takes no time: a few simulated minutes of
    reports are posted in a second (the server stamps them with its own clock)."""

    def __init__(self, start: datetime):
        self.now = start.timestamp()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def feed(plan: DemoPlan, url: str, proxies: int, minutes: float, form_share: float = 0.3):
    since = plan.history_until
    time = VirtualTime(since)
    out = StringIO()
    feeder = Feeder(
        plan, Intake(url, proxies=proxies), out, form_share=form_share, clock=time.clock, sleep=time.sleep
    )
    tally = feeder.run(since, since + timedelta(minutes=minutes))
    end = (since + timedelta(minutes=minutes)).timestamp()
    sent = list(takewhile(lambda post: post.at < end, posts(plan, None, since, form_share)))
    return tally, sent, out.getvalue()


def repeats(sent) -> int:
    """Reports of a person who reported the same service within 15 minutes before."""
    last: dict[tuple[str, int], float] = {}
    found = 0
    for post in sent:
        key = (post.service, post.reporter)
        found += key in last and post.at - last[key] < REPEAT_WINDOW.total_seconds()
        last[key] = post.at
    return found


@pytest.fixture
def busy_plan(simulated_catalog) -> DemoPlan:
    simulated_catalog("facebook", "instagram")
    # Twenty times the usual volumes: the volumes follow the clock, and even at the
    # quietest hour of the plan's day three minutes bring far more reports than one
    # address may send (30 a minute). Six times were 50 reports at 05:00 UTC.
    return DemoPlan.new(timezone.now(), days=1, scale=20, services=("facebook", "instagram"))


def test_the_feeders_reports_are_accepted_over_http_by_many_people_and_counted(
    live_server, settings, busy_plan
):
    settings.NUM_PROXIES = 1  # what dev.py run --demo sets: the feeder is the proxy
    started = timezone.now()

    tally, sent, _ = feed(busy_plan, live_server.url, proxies=1, minutes=3)

    assert len(sent) > 60
    assert tally.accepted == len(sent) and not tally.refused
    stored = Report.objects.all()
    assert stored.count() == len(sent)
    assert stored.filter(source=Source.WEB).count() == tally.by_way("form") > 0
    assert stored.filter(source=Source.API).count() == tally.by_way("api") > 0
    # One fingerprint per simulated person, and their repeats marked as the intake does.
    people = {identity(post.reporter) for post in sent}
    assert stored.values("fingerprint").distinct().count() == len(people) > 60
    assert stored.filter(is_repeat=True).count() == repeats(sent)
    assert {post.comment for post in sent if post.comment} <= set(stored.values_list("comment", flat=True))
    # About half say where in their country they are, through both ways, as sent.
    placed = [post for post in sent if post.subdivision]
    assert 0.25 < len(placed) / len(sent) < 0.65
    assert sorted(stored.exclude(subdivision="").values_list("subdivision", flat=True)) == sorted(
        post.subdivision for post in placed
    )

    counting.count_range(started - timedelta(minutes=1), timezone.now() + timedelta(minutes=2))
    overall = SeriesMinute.objects.filter(series__region=ALL_REGIONS)
    assert sum(overall.values_list("reports", flat=True)) == len(sent)
    assert sum(overall.values_list("reporters", flat=True)) == len(sent) - repeats(sent)


def test_without_a_trusted_proxy_the_crowd_is_one_address_and_rate_limited(live_server, settings, busy_plan):
    settings.NUM_PROXIES = 0  # a site that does not trust X-Forwarded-For: the default

    tally, sent, said = feed(busy_plan, live_server.url, proxies=1, minutes=3)

    limit, _ = settings.REPORT_RATE_LIMIT
    assert len(sent) > 3 * limit
    assert tally.refused.get(429, 0) > 0
    assert tally.accepted <= 2 * limit  # the feed may straddle two one-minute windows
    assert "NUM_PROXIES=1" in said


@pytest.mark.django_db
def test_the_live_outage_in_the_feed_is_detected_by_the_real_pass(simulated_catalog):
    simulated_catalog("facebook", "instagram")
    plan = DemoPlan.new(NOW, days=2, scale=0.5, services=("facebook", "instagram"))
    seed(plan, now=lambda: NOW, outages=())
    outage = live_outage(plan, NOW.replace(second=0) + timedelta(minutes=3), minutes=20, regions=("US", "GB"))
    end = outage.starts_at + timedelta(minutes=25)

    # The feed's reports, through the intake's own validation and storing, at their times.
    for post in posts(plan, outage, NOW):
        if post.at >= end.timestamp():
            break
        report = intake.validate_report(
            {"service": post.service, "problem": post.problem, "region": post.region}
        )
        at = datetime.fromtimestamp(post.at, UTC)
        intake.file_report(report, Client(*identity(post.reporter)), Source.API, now=at)
    clock = NOW.replace(second=0)
    while clock < end:
        clock += timedelta(minutes=1)
        pipeline.run_pass(clock)

    facebook = Spike.objects.get(service__slug="facebook", region=ALL_REGIONS)
    assert outage.starts_at < facebook.detected_at <= outage.starts_at + timedelta(minutes=8)
    assert facebook.level == Level.DANGER
    top = sorted(facebook.problems, key=facebook.problems.get, reverse=True)  # jsonb keeps no order
    assert set(top[:2]) == {"feed", "posting"}
    assert set(facebook.regions) >= {"US", "GB"}
    incident = Incident.objects.get()
    assert incident.group.slug == "meta"
    assert set(incident.spikes.values_list("service__slug", flat=True)) == {"facebook", "instagram"}
    assert Counter(Spike.objects.values_list("region", flat=True)).keys() <= {ALL_REGIONS, "US", "GB"}


def test_the_feed_command_says_what_to_look_at_and_when_then_posts(live_server, settings, simulated_catalog):
    settings.NUM_PROXIES = 1
    meta = ("facebook", "instagram", "whatsapp", "messenger")
    simulated_catalog(*meta)
    DemoRun.objects.create(plan=DemoPlan.new(timezone.now(), days=1, services=meta).to_dict())
    out = StringIO()

    call_command(
        "demo",
        "feed",
        "--url",
        live_server.url,
        "--minutes",
        "0.1",
        "--settle",
        "0",
        "--countries",
        "US,GB",
        stdout=out,
    )

    said = out.getvalue()
    assert re.search(
        r"At \d\d:\d\d .*, in [45] minutes, Facebook, Instagram, Whatsapp and Messenger start failing\n"
        r"  in the United States and the United Kingdom \(feed, messages, pictures, posting, voice messages\)",
        said,
    ), said
    assert f"Open {live_server.url}/status/facebook/ and watch it being detected" in said
    assert re.search(r"The feeder posted \d+ reports, \d+ accepted", said)


def test_the_feed_command_needs_a_seeded_demo(db):
    with pytest.raises(CommandError, match="demo seed"):
        call_command("demo", "feed", "--url", "http://127.0.0.1:9", stdout=StringIO())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--countries", "US,ZZ"], "--countries: ZZ; the simulated world has US, CA"),
        (["--form-share", "1.5"], "--form-share must be between 0 and 1"),
        (["--outage-minutes", "0"], "--outage-minutes must be between 1 and 1440"),
        (["--minutes", "-1"], "--minutes must be above 0"),
    ],
    ids=["unknown country", "form share", "outage length", "minutes"],
)
def test_the_feed_command_refuses_options_it_cannot_follow(db, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("demo", "feed", *args, stdout=StringIO())


def test_the_feeder_says_once_that_the_site_is_gone_and_goes_on(closed_port):
    plan = DemoPlan.new(NOW, days=1, scale=3, services=("facebook",))
    time = VirtualTime(NOW)
    out = StringIO()
    feeder = Feeder(
        plan, Intake(f"http://127.0.0.1:{closed_port}", proxies=1), out, clock=time.clock, sleep=time.sleep
    )

    tally = feeder.run(NOW, NOW + timedelta(minutes=2))

    said = out.getvalue()
    assert said.count("cannot reach the site") == 2  # once for the form's cookie, once for the reports
    assert sum(tally.sent.values()) == 0


def test_an_outage_planned_while_feeding_joins_the_stream_from_then_on(live_server, settings, busy_plan):
    settings.NUM_PROXIES = 1
    since = busy_plan.history_until
    time = VirtualTime(since)
    asked: list[datetime] = []

    def planner(at: datetime):
        asked.append(at)
        if len(asked) < 3:
            return None  # the last outage is still open
        outage = live_outage(
            busy_plan, at.replace(second=0) + timedelta(minutes=1), minutes=5, regions=("US",)
        )
        return outage, ["  At ... the next outage"]

    out = StringIO()
    feeder = Feeder(
        busy_plan,
        Intake(live_server.url, proxies=1),
        out,
        form_share=0,
        planner=planner,
        clock=time.clock,
        sleep=time.sleep,
    )
    feeder.run(since, since + timedelta(minutes=6))

    said = out.getvalue()
    assert len(asked) == 3 and "the next outage is planned:\n  At ... the next outage" in said
    assert "the outage begins" in said
    start = feeder.outage.starts_at
    usual = [
        p
        for p in takewhile(lambda p: p.at < start.timestamp(), posts(busy_plan, None, since))
        if p.region == "US"
    ]
    during = Report.objects.filter(region="US", problem__slug__in=["feed", "posting"]).count()
    assert during > 3 * len(usual)


def test_the_feed_command_waits_with_the_outage_while_the_last_one_is_open(live_server, simulated_catalog):
    simulated_catalog("facebook")
    plan = DemoPlan.new(timezone.now(), days=1, services=("facebook",))
    DemoRun.objects.create(plan=plan.to_dict())
    series = Series.objects.create(service=Service.objects.get(slug="facebook"), region=ALL_REGIONS)
    at = timezone.now() - timedelta(minutes=30)
    Spike.objects.create(
        series=series,
        service=series.service,
        level=Level.DANGER,
        started_at=at,
        detected_at=at,
        peak_at=at,
        peak_reports=40,
        expected_reports=2,
    )
    out = StringIO()

    call_command("demo", "feed", "--url", live_server.url, "--minutes", "0.05", "--settle", "0", stdout=out)

    said = out.getvalue()
    assert "Facebook is still flagged from the last outage" in said
    assert "start failing" not in said


def test_a_simulated_person_names_one_place_in_their_country_and_big_places_come_up_most():
    answers = Counter(subdivision_of("DE", reporter) for reporter in range(20_000))
    named = {code: n for code, n in answers.items() if code}

    assert set(named) <= set(first_level("DE")) and len(named) == len(first_level("DE"))
    assert 0.40 < sum(named.values()) / 20_000 < 0.50
    ranked = sorted(named.values(), reverse=True)
    assert ranked[0] > 5 * ranked[-1]  # a few large states and a long tail
    assert subdivision_of("AQ", 3) == ""  # no ISO 3166-2 subdivisions: nothing to name
