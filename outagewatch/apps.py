from django.apps import AppConfig


class OutagewatchConfig(AppConfig):
    """The project package as an app: its system checks and management commands."""

    name = "outagewatch"
    verbose_name = "outagewatch"

    def ready(self) -> None:
        # Importing the module registers its checks (Django's idiom).
        from outagewatch import checks  # noqa: F401
