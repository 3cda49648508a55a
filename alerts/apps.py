from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from alerts import push


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        checks.register(check_push_settings)
        checks.register(check_site_url, deploy=True)


def check_push_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A VAPID key or subject that push services would refuse stops the start."""
    problems = []
    try:
        push.vapid()
    except ValueError as error:
        problems.append(
            checks.Error(
                f"ALERTS_VAPID_PRIVATE_KEY is not a P-256 private key: {error}",
                hint="Make one with `python manage.py alerts_vapid_key` and set it in the environment.",
                id="alerts.E001",
            )
        )
    subject = settings.ALERTS_VAPID_SUBJECT
    if not (subject.startswith("mailto:") and "@" in subject) and not subject.startswith("https://"):
        problems.append(
            checks.Error(
                f"ALERTS_VAPID_SUBJECT={subject!r} must be a mailto: address or an https:// URL (RFC 8292).",
                id="alerts.E002",
            )
        )
    return problems


def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Mailbox providers want an https one-click unsubscribe URL (RFC 8058)."""
    if not settings.SITE_URL.startswith("https://"):
        return [
            checks.Warning(
                f"SITE_URL={settings.SITE_URL!r} is not https: the unsubscribe links of alert mails "
                "would be refused by Gmail and Yahoo.",
                id="alerts.W001",
            )
        ]
    return []
