"""Group the spikes stored before outages were grouped, by the rule of
spikes.incidents.join_outage: a service's overlapping spikes are one outage,
headed by its all-regions spike (else its first)."""

from datetime import timedelta

from django.db import migrations

WINDOW = timedelta(minutes=10)


def group(apps, schema_editor):
    Spike = apps.get_model("spikes", "Spike")
    spikes = Spike.objects.exclude(status="dismissed").order_by("service_id", "started_at", "pk")
    outages: list[list] = []
    current: list = []
    reach = None
    for spike in spikes.only("pk", "service_id", "region", "started_at", "ended_at"):
        overlaps = (
            current
            and current[0].service_id == spike.service_id
            and (reach is None or reach >= spike.started_at - WINDOW)
        )
        if not overlaps:
            if current:
                outages.append(current)
            current, reach = [], spike.ended_at
        current.append(spike)
        if spike.ended_at is None or (reach is not None and spike.ended_at > reach):
            reach = spike.ended_at
    if current:
        outages.append(current)
    for members in outages:
        if len(members) < 2:
            continue
        head = min(members, key=lambda s: (s.region != "", s.started_at, s.pk))
        Spike.objects.filter(pk__in=[m.pk for m in members]).exclude(pk=head.pk).update(part_of=head.pk)


class Migration(migrations.Migration):
    dependencies = [("spikes", "0003_outage_parts_and_people")]

    operations = [migrations.RunPython(group, migrations.RunPython.noop)]
