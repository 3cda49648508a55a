"""The admin: catalog editing and comment moderation."""

import json

from reports.models import Report


def test_staff_can_open_every_catalog_and_report_page(admin_client, whatsapp):
    for url in [
        "/admin/reports/service/",
        f"/admin/reports/service/{whatsapp.pk}/change/",
        "/admin/reports/servicegroup/",
        "/admin/reports/problemtype/",
        "/admin/reports/region/?q=india",
        "/admin/reports/report/?has_comment=yes&q=whatsapp",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_moderators_hide_comments_in_bulk(admin_client, client, whatsapp):
    body = {"service": "whatsapp", "problem": "messages", "region": "US", "comment": "spam spam"}
    client.post("/api/v1/reports/", json.dumps(body), content_type="application/json")
    report = Report.objects.get()

    admin_client.post("/admin/reports/report/", {"action": "hide_comments", "_selected_action": [report.pk]})

    report.refresh_from_db()
    assert report.comment_hidden is True
