from django.apps import AppConfig
from django.core.checks import Tags, register

from outagewatch import checks, startup


class OutagewatchConfig(AppConfig):
    """The project package as an app: its system checks, its management commands, and
    what a process prepares on disk when it starts."""

    name = "outagewatch"
    verbose_name = "outagewatch"

    def ready(self) -> None:
        register(checks.admin_path_is_not_the_default, Tags.security, deploy=True)
        # Start-up, not the settings' import: the folders the embedded default writes into.
        startup.make_data_dirs()
