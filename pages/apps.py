from django.apps import AppConfig

from outagewatch import metrics


class PagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pages"
    verbose_name = "Public site"

    def ready(self) -> None:
        # The report form's answers, counted by /metrics (a success redirects).
        for url_name in ("report-problem", "edition-report-problem"):
            metrics.register_report_view(url_name, "web", 302)
