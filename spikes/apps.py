from django.apps import AppConfig


class SpikesConfig(AppConfig):
    name = "spikes"
    verbose_name = "Spikes and incidents"
