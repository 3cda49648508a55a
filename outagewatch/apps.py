from django.apps import AppConfig
from django.core.checks import Tags, register

from outagewatch import checks


class OutagewatchConfig(AppConfig):
    """The project package as an app: its system checks and management commands."""

    name = "outagewatch"
    verbose_name = "outagewatch"

    def ready(self) -> None:
        register(checks.admin_path_is_not_the_default, Tags.security, deploy=True)
