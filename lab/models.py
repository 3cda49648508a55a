"""What the laboratory keeps in the product's database: only the demo's marker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DemoRun(models.Model):
    """A database seeded by `manage.py demo seed`, and the plan of its simulated world.

    The live feeder reads the plan to continue the same world (the same services,
    volumes and slowly wandering level) that the history was drawn from, and the
    seeding reads it to tell its own data from data it must not touch.
    """

    seeded_at = models.DateTimeField(default=timezone.now)
    plan = models.JSONField(help_text="lab.demo.plan.DemoPlan.to_dict()")

    class Meta:
        ordering = ["-seeded_at", "-pk"]

    def __str__(self) -> str:
        return f"demo seeded at {self.seeded_at:%Y-%m-%d %H:%M}"
