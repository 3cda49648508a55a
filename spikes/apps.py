from django.apps import AppConfig


class SpikesConfig(AppConfig):
    name = "spikes"
    verbose_name = "Spikes and incidents"

    def ready(self) -> None:
        # Importing the module registers its checks (Django's idiom).
        from spikes import checks  # noqa: F401
