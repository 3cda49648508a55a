"""The demo's live feeder: the simulated world's reports, posted as they happen
through the site's real intake over HTTP, by a crowd of simulated people.

Most reports go to the JSON API (POST /api/v1/reports/), some through the HTML
form of the service page, as a browser would send it. Each simulated person is
one client address and one browser: the intake fingerprints and rate-limits them
exactly as it does real people. The addresses come from 198.18.0.0/15, the
network RFC 2544 reserves for benchmarks (nobody's real address), and reach the
site in X-Forwarded-For: the feeder plays the reverse proxy in front of the crowd,
so the site must trust one proxy (NUM_PROXIES=1, which `dev.py run --demo` sets
for the demo's processes only). Rate limits, fingerprints, repeats and privacy
rules are the product's own, unchanged.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import TextIO
from urllib.parse import urlencode, urlsplit

from lab.demo.plan import DemoPlan, LiveOutage
from reports.subdivisions import first_level

CROWD = ipaddress.ip_network("198.18.0.0/15")
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Mobile/15E148 Safari/604.1",
)
# About half the people say where in their country they are (the form's optional
# "where in ..."), so the demo's country pages draw their maps; the places are
# weighted like a country's population (a few large states, a long tail), in an
# order fixed per country.
NAMES_A_PLACE = 0.45
# A few reports carry a comment, as on the real site.
COMMENT_EVERY = 40
COMMENTS = {
    "pictures": (
        "Photos stuck on the clock icon",
        "Pictures won't download",
        "Images just show a grey box",
        "can't send pics to anyone",
    ),
    "voice-messages": ("Voice notes won't send", "Can't play voice messages", "voice msgs stuck at 0:00"),
    "feed": (
        "Feed won't load, just spinning",
        "Nothing new in my feed for 10 minutes",
        "Couldn't refresh feed",
        "timeline blank on the app and the website",
    ),
    "posting": ("Can't post anything", "Post failed, try again later", "Stories won't upload"),
    "messages": ("Messages not going through", "Stuck on one tick", "texts send but very slowly"),
    "login": ("Logged out and can't get back in", "Keeps saying session expired"),
    "video-streaming": ("Buffering on every show", "Error playing video"),
    "server-connection": ("Connecting... forever", "Disconnected from voice every minute"),
}
# Reports more than this late (the site was unreachable) are dropped, not sent in a
# burst that would look like an outage of its own.
MAX_LATE = 120.0
SUMMARY_EVERY = 300.0
WATCH_EVERY = 15.0


def identity(reporter: int) -> tuple[str, str]:
    """The client address and user agent of one simulated person."""
    address = str(CROWD[reporter % CROWD.num_addresses])
    return address, USER_AGENTS[(reporter // CROWD.num_addresses) % len(USER_AGENTS)]


@dataclass(frozen=True)
class Post:
    at: float  # epoch seconds
    service: str
    region: str
    problem: str
    reporter: int
    via_form: bool
    comment: str = ""
    subdivision: str = ""


def subdivision_of(region: str, reporter: int) -> str:
    """Where in `region` this person says they are ("" for not saying): the same
    answer every time, Zipf-weighted over the country's first-level subdivisions."""
    places = sorted(first_level(region), key=lambda code: zlib.crc32(code.encode()))
    draw = (reporter * 2654435761 % 2**32) / 2**32  # Knuth's multiplicative hash: spread, fixed
    if not places or draw >= NAMES_A_PLACE:
        return ""
    weights = [1 / rank for rank in range(1, len(places) + 1)]
    point = draw / NAMES_A_PLACE * sum(weights)
    for code, weight in zip(places, weights, strict=True):
        point -= weight
        if point < 0:
            return code
    return places[-1]


def posts(
    plan: DemoPlan, outage: LiveOutage | None, since: datetime, form_share: float = 0.15
) -> Iterator[Post]:
    """The world's reports from `since` on, in time order, until the plan ends."""
    sim = plan.simulation(outage.events if outage else ())
    first = max(0, int(plan.minute_of(since)))
    lo = since.timestamp()
    form_cut = int(form_share * 1000)
    for chunk in sim.chunks(minutes_per_chunk=60, first_minute=first):
        for ts, service, region, problem, reporter in zip(
            chunk.ts.tolist(),
            chunk.service.tolist(),
            chunk.region.tolist(),
            chunk.problem.tolist(),
            chunk.reporter.tolist(),
        ):
            if ts < lo:
                continue
            slug = chunk.problems[problem]
            comments = COMMENTS.get(slug, ())
            comment = (
                comments[(reporter // COMMENT_EVERY) % len(comments)]
                if comments and reporter % COMMENT_EVERY == 0
                else ""
            )
            yield Post(
                float(ts),
                chunk.services[service],
                chunk.regions[region],
                slug,
                reporter,
                via_form=(reporter >> 8) % 1000 < form_cut,  # a person keeps to one way of reporting
                comment=comment,
                subdivision=subdivision_of(chunk.regions[region], reporter),
            )


class Unreachable(Exception):
    pass


class Intake:
    """The site's intake, over one kept-alive HTTP connection."""

    def __init__(self, base_url: str, proxies: int, timeout: float = 30.0):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http:// address")
        self.host, self.port = parts.hostname, parts.port or 80
        self.proxies, self.timeout = proxies, timeout
        self.csrf_token: str | None = None
        self._connection: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more on a new one
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._connection.request(method, path, body=body, headers=headers)
                response = self._connection.getresponse()
                response.read()
                return response
            except (OSError, http.client.HTTPException) as exc:
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise Unreachable(f"{self.host}:{self.port}: {exc}") from exc
        raise AssertionError("unreachable")

    def _headers(self, post: Post) -> dict[str, str]:
        address, agent = identity(post.reporter)
        headers = {"User-Agent": agent}
        if self.proxies:
            # The client address is read this many hops from the right.
            headers["X-Forwarded-For"] = ", ".join([address] + ["127.0.0.1"] * (self.proxies - 1))
        return headers

    def ready(self) -> bool:
        try:
            return self._request("GET", "/healthz", None, {}).status < 600
        except Unreachable:
            return False

    def fetch_csrf_token(self, service: str) -> str | None:
        """The CSRF cookie a browser gets with the service page and its form."""
        response = self._request("GET", f"/status/{service}/", None, {"User-Agent": USER_AGENTS[0]})
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or ():
            cookies.load(header)
        self.csrf_token = cookies["csrftoken"].value if "csrftoken" in cookies else None
        return self.csrf_token

    def send(self, post: Post) -> tuple[str, int]:
        """Post one report; returns the way it went ("api" or "form") and the status."""
        headers = self._headers(post)
        if post.via_form and self.csrf_token:
            fields = {
                "csrfmiddlewaretoken": self.csrf_token,
                "region": post.region,
                "subdivision": post.subdivision,
                "comment": post.comment,
            }
            body = urlencode({**fields, "website": "", "problem": post.problem}).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={self.csrf_token}",
                }
            )
            response = self._request("POST", f"/status/{post.service}/report/", body, headers)
            return "form", response.status
        report = {"service": post.service, "problem": post.problem, "region": post.region}
        if post.subdivision:
            report["subdivision"] = post.subdivision
        if post.comment:
            report["comment"] = post.comment
        headers["Content-Type"] = "application/json"
        response = self._request("POST", "/api/v1/reports/", json.dumps(report).encode(), headers)
        return "api", response.status


ACCEPTED = {"api": 201, "form": 302}


@dataclass
class Tally:
    sent: Counter = field(default_factory=Counter)  # ("api"|"form", status) -> n
    late: int = 0

    @property
    def accepted(self) -> int:
        return sum(n for (way, status), n in self.sent.items() if ACCEPTED[way] == status)

    @property
    def refused(self) -> dict[int, int]:
        refused: Counter = Counter()
        for (way, status), n in self.sent.items():
            if ACCEPTED[way] != status:
                refused[status] += n
        return dict(refused)

    def by_way(self, way: str) -> int:
        return sum(n for (w, _), n in self.sent.items() if w == way)


Watch = Callable[[datetime], list[str]]
# Called while no live outage is planned: the outage to run and the lines that
# announce it, or None to be asked again later.
Planner = Callable[[datetime], tuple[LiveOutage, list[str]] | None]


class Feeder:
    """Posts the world's reports at their times; says what happens as it goes."""

    def __init__(
        self,
        plan: DemoPlan,
        intake: Intake,
        out: TextIO,
        outage: LiveOutage | None = None,
        form_share: float = 0.15,
        watch: Watch | None = None,
        planner: Planner | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.plan, self.intake, self.out, self.outage = plan, intake, out, outage
        self.form_share, self.watch, self.planner = form_share, watch, planner
        self.clock, self.sleep = clock, sleep
        self.tally = Tally()
        self._window = Tally()
        self._warned: set[int] = set()
        self._unreachable = False
        self._said = 0  # of the outage: 1 once its start was told, 2 once its end was
        self._planned = False  # an outage was planned while posting: the stream changes
        self._next_summary = self._next_watch = 0.0

    def say(self, at: float, message: str) -> None:
        stamp = datetime.fromtimestamp(at).astimezone().strftime("%H:%M")
        self.out.write(f"{stamp}  {message}\n")
        self.out.flush()

    def run(self, since: datetime, until: datetime | None = None) -> Tally:
        """Post every report from `since` to `until` (or the plan's end) at its time."""
        if self.form_share and self.plan.services:
            try:
                if not self.intake.fetch_csrf_token(self.plan.services[0]):
                    self.say(
                        self.clock(), "the service page set no CSRF cookie: every report goes to the API"
                    )
            except Unreachable as exc:
                self.say(self.clock(), f"cannot reach the site ({exc}); the form is left out")
        end = (until or self.plan.ends_at).timestamp()
        self._next_summary = self.clock() + SUMMARY_EVERY
        self._next_watch = self.clock() + WATCH_EVERY
        stream = posts(self.plan, self.outage, since, self.form_share)
        while (post := next(stream, None)) is not None and post.at < end:
            while True:
                now = self.clock()
                self._tell(now)
                if post.at <= now:
                    break
                self.sleep(min(post.at - now, 1.0))
            if self._planned:  # the same world from this report on, with the outage in it
                self._planned = False
                stream = posts(self.plan, self.outage, datetime.fromtimestamp(post.at, UTC), self.form_share)
                continue
            if now - post.at > MAX_LATE:
                self.tally.late += 1
                self._window.late += 1
                continue
            try:
                way, status = self.intake.send(post)
            except Unreachable as exc:
                if not self._unreachable:
                    self.say(now, f"cannot reach the site ({exc}); its reports are lost until it answers")
                self._unreachable = True
                self.sleep(1.0)
                continue
            if self._unreachable:
                self._unreachable = False
                self.say(now, "the site answers again")
            for tally in (self.tally, self._window):
                tally.sent[way, status] += 1
            if status != ACCEPTED[way]:
                self._explain(now, status)
        return self.tally

    def _tell(self, now: float) -> None:
        """Say what is due: the outage's start and end, what the detector did, and
        every few minutes how many reports went in."""
        if self.outage and self._said < 1 and now >= self.outage.starts_at.timestamp():
            self._said = 1
            self.say(now, "the outage begins: reports about Meta's apps start to climb")
        if self.outage and self._said < 2 and now >= self.outage.ends_at.timestamp():
            self._said = 2
            self.say(now, "the outage is fixed: reports fall back to the usual level")
        if now >= self._next_watch:
            self._next_watch = now + WATCH_EVERY
            for line in self.watch(datetime.fromtimestamp(now, UTC)) if self.watch else ():
                self.say(now, line)
            planned = (
                None if self.outage or not self.planner else self.planner(datetime.fromtimestamp(now, UTC))
            )
            if planned:
                self.outage, lines = planned
                self._planned = True
                self.say(now, "the next outage is planned:")
                self.out.write("\n".join(lines) + "\n")
        if now >= self._next_summary:
            self._next_summary = now + SUMMARY_EVERY
            self._summarise(now)

    def _summarise(self, now: float) -> None:
        window, self._window = self._window, Tally()
        minutes = SUMMARY_EVERY / 60
        line = (
            f"{window.accepted} reports accepted in the last {minutes:.0f} minutes "
            f"({window.accepted / minutes:.0f} a minute): {window.by_way('api')} sent through the API, "
            f"{window.by_way('form')} through the form"
        )
        refused = window.refused
        if refused:
            line += "; refused: " + ", ".join(f"{n} with {status}" for status, n in sorted(refused.items()))
        if window.late:
            line += f"; {window.late} dropped as too late (the site did not keep up)"
        self.say(now, line)

    def _explain(self, now: float, status: int) -> None:
        if status in self._warned:
            return
        self._warned.add(status)
        if status == 429:
            self.say(
                now,
                "the site refused reports as too many from one address (429): it does not take "
                "the feeder's X-Forwarded-For. Start the site with NUM_PROXIES=1, as "
                "`python3 dev.py run --demo` does.",
            )
        else:
            self.say(now, f"the site answered {status} to a report (further ones are counted, not shown)")


def wait_for(intake: Intake, timeout: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Wait until the site answers HTTP at all (it may still be starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if intake.ready():
            return True
        sleep(0.5)
    return False


def minutes_from(at: datetime, minutes: float) -> datetime:
    return (at + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
