from django.apps import AppConfig
from django.core.checks import register

from outagewatch import health, metrics
from reports.signals import reports_stored
from spikes import checks


class SpikesConfig(AppConfig):
    name = "spikes"
    verbose_name = "Spikes and incidents"

    def ready(self) -> None:
        # Modules that use models are imported once the models are ready.
        from spikes import counting, monitoring

        # The intake tells of reports stored late; counting goes back for them.
        reports_stored.connect(counting.on_reports_stored, dispatch_uid="spikes.counting")
        # The project's /healthz and /metrics import no app: the pipeline adds its own.
        health.register("detector", monitoring.check_detector)
        metrics.register_collector(monitoring.COLLECTOR)
        # The settings the detector relies on, checked by `manage.py check`.
        register(checks.repeat_window_covers_the_handful_bound)
