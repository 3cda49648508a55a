"""The verdict apart from the lifecycle: `status` (which "resolved" overwrote)
becomes `verdict`, with who confirmed or why dismissed; spike changes say who
made them. Existing spikes and their history are kept (their changes were all
the detector's, the default actor)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def resolved_to_suspected(apps, schema_editor):
    """ "resolved" was the lifecycle (kept in ended_at); nobody had given those
    spikes a verdict, so they are suspected."""
    Spike = apps.get_model("spikes", "Spike")
    Spike.objects.filter(verdict="resolved").update(verdict="suspected")


def suspected_to_resolved(apps, schema_editor):
    Spike = apps.get_model("spikes", "Spike")
    Spike.objects.filter(verdict="suspected", ended_at__isnull=False).update(verdict="resolved")


class Migration(migrations.Migration):
    dependencies = [
        ("spikes", "0005_subdivision_minute"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="spike",
            options={
                "ordering": ["-started_at"],
                "permissions": [("triage_spike", "Can triage spikes (confirm, dismiss, reopen)")],
            },
        ),
        # Keep every spike's value: rename, then map the lifecycle value away.
        migrations.RenameField(model_name="spike", old_name="status", new_name="verdict"),
        migrations.RunPython(resolved_to_suspected, suspected_to_resolved),
        migrations.AddField(
            model_name="spike",
            name="dismissed_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("report_bombing", "Report bombing"),
                    ("news_curiosity", "News-driven curiosity"),
                    ("test", "Test"),
                    ("other", "Other"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="spike",
            name="verdict",
            field=models.CharField(
                choices=[("suspected", "Suspected"), ("confirmed", "Confirmed"), ("dismissed", "Dismissed")],
                default="suspected",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="spike",
            name="verdict_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="spike",
            name="verdict_note",
            field=models.CharField(
                blank=True, help_text="Why: staff's words, or the provider's incident title", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="spike",
            name="verdict_url",
            field=models.URLField(
                blank=True, help_text="The provider's incident, when the provider confirmed"
            ),
        ),
        migrations.AddField(
            model_name="spikechange",
            name="actor",
            field=models.CharField(
                choices=[
                    ("detector", "The detector"),
                    ("staff", "Our staff"),
                    ("provider", "The provider's status page"),
                ],
                default="detector",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="spikechange",
            name="actor_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="spikechange",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("report_bombing", "Report bombing"),
                    ("news_curiosity", "News-driven curiosity"),
                    ("test", "Test"),
                    ("other", "Other"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="spikechange",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="spikechange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("opened", "Opened"),
                    ("level_changed", "Level changed"),
                    ("resolved", "Resolved"),
                    ("confirmed", "Confirmed"),
                    ("dismissed", "Dismissed"),
                    ("reopened", "Reopened (back to suspected)"),
                    ("grouped", "Grouped into an incident"),
                    ("related", "Marked possibly related"),
                ],
                max_length=14,
            ),
        ),
        migrations.AlterField(
            model_name="spikechange",
            name="note",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.CreateModel(
            name="SpikeAwaitingVerdict",
            fields=[],
            options={
                "verbose_name": "spike awaiting a verdict",
                "verbose_name_plural": "triage queue",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("spikes.spike",),
        ),
    ]
