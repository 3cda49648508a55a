from django.apps import AppConfig

from outagewatch import metrics


class PagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pages"
    verbose_name = "Public site"

    def ready(self) -> None:
        # The report form's answers, counted by /metrics (a success redirects).
        metrics.register_report_view("report-problem", "web", 302)
