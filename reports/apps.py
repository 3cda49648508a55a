from django.apps import AppConfig

from outagewatch import metrics


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Catalog and reports"

    def ready(self) -> None:
        from reports import catalog  # it reads the models: importable once they are ready

        catalog.watch_catalog_rows()
        # The report API's answers, counted by /metrics.
        metrics.register_report_view("api-report-create", "api", 201)
