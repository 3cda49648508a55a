"""Status documents in each supported format, built the way the formats' public
documentation describes them (Atlassian Statuspage's /api/v2 pages, RSS 2.0,
Atom 1.0), with the few fields each test changes as arguments."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

PAGE = {
    "id": "kctbh9vrtdwd",
    "name": "WhatsApp",
    "url": "https://status.example.com",
    "time_zone": "Etc/UTC",
    "updated_at": "2026-03-05T18:10:00.000Z",
}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def component(
    name: str, status: str = "operational", id: str | None = None, group_id: str | None = None
) -> dict:
    return {
        "id": id or name.lower().replace(" ", "-"),
        "name": name,
        "status": status,
        "created_at": "2014-05-03T01:22:07.274Z",
        "updated_at": "2026-03-05T18:10:00.000Z",
        "position": 1,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": group_id,
        "page_id": PAGE["id"],
        "group": False,
        "only_show_if_degraded": False,
    }


def group(name: str, id: str, members: list[str]) -> dict:
    return component(name, id=id) | {"group": True, "components": members}


def update(id: str, status: str, body: str, at: datetime, affected: list[dict] | None = None) -> dict:
    return {
        "id": id,
        "status": status,
        "body": body,
        "incident_id": "inc",
        "created_at": iso(at),
        "updated_at": iso(at),
        "display_at": iso(at),
        "affected_components": affected,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(
    id: str,
    name: str,
    created_at: datetime,
    status: str = "investigating",
    impact: str = "minor",
    updates: list[dict] | None = None,
    components: list[dict] | None = None,
    resolved_at: datetime | None = None,
    **extra,
) -> dict:
    return {
        "id": id,
        "name": name,
        "status": status,
        "created_at": iso(created_at),
        "updated_at": iso(
            max([created_at] + [datetime.fromisoformat(u["created_at"]) for u in updates or []])
        ),
        "monitoring_at": None,
        "resolved_at": iso(resolved_at) if resolved_at else None,
        "impact": impact,
        "shortlink": f"https://stspg.io/{id}",
        "started_at": iso(created_at),
        "page_id": PAGE["id"],
        "incident_updates": updates
        if updates is not None
        else [update(f"{id}-u1", status, "We are investigating.", created_at)],
        "components": components or [],
    } | extra


def maintenance(
    id: str,
    name: str,
    created_at: datetime,
    scheduled_for: datetime,
    scheduled_until: datetime,
    status: str = "scheduled",
) -> dict:
    return incident(
        id,
        name,
        created_at,
        status=status,
        impact="maintenance",
        updates=[update(f"{id}-u1", status, "Planned maintenance of the media servers.", created_at)],
        scheduled_for=iso(scheduled_for),
        scheduled_until=iso(scheduled_until),
    )


def summary(
    indicator: str = "none",
    description: str = "All Systems Operational",
    components: list[dict] | None = None,
    incidents: list[dict] | None = None,
    maintenances: list[dict] | None = None,
) -> str:
    return json.dumps(
        {
            "page": PAGE,
            "components": components
            if components is not None
            else [component("Messaging"), component("Media")],
            "incidents": incidents or [],
            "scheduled_maintenances": maintenances or [],
            "status": {"indicator": indicator, "description": description},
        }
    )


def incidents_list(*incidents: dict) -> str:
    return json.dumps({"page": PAGE, "incidents": list(incidents)})


def rss(*items: dict) -> str:
    """items: {"guid", "title", "description" (HTML, escaped here), "published", "link"}."""
    body = "".join(
        "<item>"
        f"<title>{escape(item['title'])}</title>"
        f"<description>{escape(item['description'])}</description>"
        f"<pubDate>{format_datetime(item['published'])}</pubDate>"
        f"<link>{escape(item.get('link', 'https://status.example.com/incidents/' + item['guid']))}</link>"
        f"<guid>{escape(item['guid'])}</guid>"
        "</item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Example status - Incident History</title><link>https://status.example.com</link>"
        f"<description>Statuspage</description>{body}</channel></rss>"
    )


def atom(*entries: dict) -> str:
    """entries: {"id", "title", "content" (HTML), "updated", "published", "category" (optional)}."""
    body = "".join(
        "<entry>"
        f"<id>{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
        f"<published>{e['published'].isoformat()}</published><updated>{e['updated'].isoformat()}</updated>"
        f'<link rel="alternate" type="text/html" href="https://status.example.com/incidents/{escape(e["id"])}"/>'
        f'<content type="html">{escape(e["content"])}</content>'
        + (f'<category term="{escape(e["category"])}"/>' if e.get("category") else "")
        + "</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>tag:status.example.com,2005:/history</id><title>Example status</title>"
        f"<updated>2026-03-05T18:10:00+00:00</updated>{body}</feed>"
    )


def statuspage_updates_html(*updates: tuple[str, str, str]) -> str:
    """The description of a Statuspage history.rss item: (when, status, text), newest first."""
    return "".join(
        f"<p><small>{when}</small><br><strong>{status}</strong> - {text}</p>"
        for when, status, text in updates
    )
