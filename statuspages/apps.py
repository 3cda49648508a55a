from django.apps import AppConfig


class StatuspagesConfig(AppConfig):
    name = "statuspages"
    verbose_name = "Providers' status pages"

    def ready(self) -> None:
        from reports.catalog import catalog_loaded
        from statuspages.catalog import on_catalog_loaded

        # The intake's catalog loader tells us, without importing us (it is a layer below).
        catalog_loaded.connect(on_catalog_loaded, dispatch_uid="statuspages-catalog")
