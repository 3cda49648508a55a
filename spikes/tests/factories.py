"""Reports in bulk, as the intake would have stored them, and the history and
outages that pipeline tests start from."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import factory
from django.contrib.auth.models import Permission, User

from reports.models import Report, Service
from spikes import pipeline
from spikes.db import insert_many
from spikes.models import ALL_REGIONS, Series, Spike, SpikeChange
from spikes.tests.conftest import T0

COLUMNS = ["service_id", "problem_id", "region_id", "created_at", "comment", "comment_hidden"]
COLUMNS += ["source", "fingerprint", "is_repeat", "subdivision"]


def add_reports(
    service: Service,
    start: datetime,
    minutes: int,
    per_minute: int,
    region: str = "US",
    problem: str | None = None,
    reporter: str = "r",
    subdivision: str = "",
) -> int:
    """`per_minute` distinct reporters in every minute of [start, start + minutes)
    (in `subdivision` of the region, if given)."""
    problems = {p.slug: p.pk for p in service.ordered_problem_types()}
    problem_id = problems[problem] if problem else next(iter(problems.values()))
    rows = [
        (
            service.pk,
            problem_id,
            region,
            start + timedelta(minutes=m, seconds=(i * 7) % 60),
            "",
            False,
            "api",
            f"{reporter}-{service.pk}-{m}-{i}"[:32],
            False,
            subdivision,
        )
        for m in range(minutes)
        for i in range(per_minute)
    ]
    return insert_many(Report._meta.db_table, COLUMNS, rows)


HISTORY_DAYS = 2
NOW = T0 + timedelta(days=HISTORY_DAYS)
ONSET = NOW + timedelta(minutes=10)


def learn_history(*services, per_minute=4):
    """Two quiet days of reports, baselines fitted on them, and a first pass."""
    for service in services:
        add_reports(
            service, T0, minutes=HISTORY_DAYS * 1440, per_minute=per_minute, reporter=f"h{service.pk}"
        )
    pipeline.run_pass(NOW)
    pipeline.refresh_baselines(NOW)


def outage(service, minutes=30, per_minute=40, start=ONSET, region="US", problem=None):
    add_reports(
        service, start, minutes=minutes, per_minute=per_minute, region=region, problem=problem, reporter="o"
    )


def state_of_everything():
    return (
        list(Spike.objects.order_by("pk").values()),
        list(SpikeChange.objects.order_by("pk").values("spike_id", "at", "kind", "level")),
        json.dumps(
            list(Series.objects.order_by("pk").values("detector_state", "detected_until")), default=str
        ),
    )


class SpikeFactory(factory.django.DjangoModelFactory):
    """A spike as the detector stores it, with its series and its "opened" change:
    SpikeFactory(service=whatsapp, started_at=..., region="IN", ended_at=...)."""

    class Meta:
        model = Spike
        skip_postgeneration_save = True

    service = None
    region = ALL_REGIONS
    series = factory.LazyAttribute(
        lambda o: Series.objects.get_or_create(service=o.service, region=o.region)[0]
    )
    level = "danger"
    started_at = T0
    detected_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=3))
    peak_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=10))
    peak_reports = 120
    expected_reports = 4.0

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            SpikeChange.objects.create(spike=self, at=self.detected_at, kind="opened", level=self.level)
            if self.ended_at:
                SpikeChange.objects.create(spike=self, at=self.ended_at, kind="resolved", level=self.level)


def triager(username: str = "tess", **fields) -> User:
    """A staff member who may triage spikes (not a superuser); a fresh instance,
    since a user's permissions are cached on it."""
    user = User.objects.create_user(username, password="x", is_staff=True, **fields)
    user.user_permissions.add(Permission.objects.get(codename="triage_spike"))
    return User.objects.get(pk=user.pk)
