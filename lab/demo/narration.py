"""What the demo tells the newcomer in the terminal: what to open and when, and
then, as it happens, what the detector made of the live outage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lab.demo.plan import DemoPlan, LiveOutage
from reports.models import Region, Service
from spikes.models import ALL_REGIONS, Incident, Level, Spike


def clock(at: datetime) -> str:
    """A time as the newcomer's terminal reads it, with UTC beside it."""
    local = at.astimezone()
    if local.utcoffset() == timedelta(0):
        return f"{local:%H:%M} UTC"
    return f"{local:%H:%M} {local.tzname()} ({at.astimezone(UTC):%H:%M} UTC)"


def names(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def region_names(codes: tuple[str, ...] | list[str], article: bool = False) -> list[str]:
    """Country names, with "the" where English wants it ("in the United States")."""
    known = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    found = [known.get(code, code) for code in codes]
    if article:
        found = [f"the {name}" if name.startswith(THE) else name for name in found]
    return found


THE = ("United ", "Netherlands", "Philippines", "Czech", "Dominican", "Bahamas", "Gambia")


def service_names(slugs: tuple[str, ...] | list[str]) -> list[str]:
    known = dict(Service.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return [known.get(slug, slug) for slug in slugs]


def briefing(plan: DemoPlan, site: str, now: datetime) -> list[str]:
    """What the site holds when the feeder starts."""
    site = site.rstrip("/")
    days = int((plan.history_until - plan.start) / timedelta(days=1))
    past = Spike.objects.filter(region=ALL_REGIONS, ended_at__isnull=False).count()
    lines = [
        f"The demo is running at {site}/",
        f"  {days} days of simulated reports for {len(plan.services)} services are stored and were "
        "replayed through the detector:",
        f"  the archive ({site}/outages/) holds {past} past outages of whole services.",
    ]
    meta = Incident.objects.filter(group__slug="meta", ended_at__isnull=False).order_by("-started_at").first()
    if meta:
        lines.append(
            f"  Among them, Meta's apps failing together on {meta.started_at.astimezone():%A %d %B at %H:%M}."
        )
    lines.append("  New reports arrive live, through the site's API and its report form.")
    return lines


def outage_lines(outage: LiveOutage, site: str, now: datetime) -> list[str]:
    """When and where the live outage happens, and what to watch."""
    problems = sorted({p.replace("-", " ") for ev in outage.events for p in ev.problems})
    return [
        f"  At {clock(outage.starts_at)}, in {_minutes_until(outage.starts_at, now)}, "
        f"{names(service_names(outage.services))} start failing",
        f"  in {names(region_names(outage.regions, article=True))} ({', '.join(problems)}), "
        f"until about {outage.ends_at.astimezone():%H:%M}.",
        f"  Open {site.rstrip('/')}/status/{outage.services[0]}/ and watch it being detected: possible problems",
        "  a few minutes after the start, then problems detected, then one incident for Meta.",
        "  After the fix the reports fall back and the spikes end.",
    ]


def waiting_lines(services: tuple[str, ...]) -> list[str]:
    """Why the live outage waits: the last one is still open in the detector's eyes."""
    verb = "is" if len(services) == 1 else "are"
    return [
        f"  {names(service_names(services))} {verb} still flagged from the last outage: the detector ends a",
        "  spike once the reports have stayed at their usual level for a while. The next outage starts",
        "  a few minutes after that; these lines will say when.",
    ]


def _minutes_until(at: datetime, now: datetime) -> str:
    minutes = max(0, round((at - now) / timedelta(minutes=1)))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


class SpikeWatch:
    """Reports, in a few lines per look, the spikes and incidents the live pipeline
    opened, raised, grouped and ended since the watch began."""

    def __init__(self, site: str):
        self.site = site.rstrip("/")
        self.after_spike = Spike.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.after_incident = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.seen: dict[int, tuple[str, bool]] = {}

    def __call__(self, now: datetime) -> list[str]:
        opened: dict[str, list[Spike]] = {Level.WARNING: [], Level.DANGER: []}
        raised, ended = [], []
        spikes = Spike.objects.filter(pk__gt=self.after_spike).select_related("service").order_by("pk")
        for spike in spikes:
            state = (spike.level, spike.ended_at is not None)
            before = self.seen.get(spike.pk)
            self.seen[spike.pk] = state
            if before is None:
                opened[spike.level].append(spike)
            elif before[0] != spike.level and spike.level == Level.DANGER:
                raised.append(spike)
            if state[1] and (before is None or not before[1]):
                ended.append(spike)
        lines = []
        for level, found in opened.items():
            if found:
                lines.append(f"{Level(level).label.lower()}: {self._describe(found)}")
        if raised:
            lines.append(f"now problems detected: {self._describe(raised)}")
        incidents = Incident.objects.filter(pk__gt=self.after_incident).select_related("group")
        for incident in incidents:
            self.after_incident = incident.pk
            services = sorted({s.service.name for s in incident.spikes.select_related("service")})
            owner = incident.group.name if incident.group else "Many services"
            lines.append(
                f"one incident: {owner} ({names(services)}) since {incident.started_at.astimezone():%H:%M}"
            )
        if ended:
            lines.append(f"over: {self._describe(ended)}")
        return lines

    def _describe(self, spikes: list[Spike]) -> str:
        by_service: dict[str, list[Spike]] = {}
        for spike in spikes:
            by_service.setdefault(spike.service.name, []).append(spike)
        codes = sorted({s.region for s in spikes if s.region})
        regions = dict(zip(codes, region_names(codes)))
        parts = []
        for name, found in by_service.items():
            places = ["all regions" if not s.region else regions[s.region] for s in found]
            parts.append(f"{name} ({', '.join(places)})")
        overall = next((s for s in spikes if not s.region), None)
        link = f"  {self.site}/outages/{overall.pk}/" if overall else ""
        return "; ".join(parts) + link
