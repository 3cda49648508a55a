from django.apps import AppConfig

from outagewatch import health, metrics


class SpikesConfig(AppConfig):
    name = "spikes"
    verbose_name = "Spikes and incidents"

    def ready(self) -> None:
        # The project's /healthz and /metrics import no app: the pipeline adds its own.
        from spikes import monitoring  # models are ready only now

        health.register("detector", monitoring.check_detector)
        metrics.register_collector(monitoring.COLLECTOR)
