from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Catalog and reports"

    def ready(self) -> None:
        from reports import catalog  # it reads the models: importable once they are ready

        catalog.watch_catalog_rows()
