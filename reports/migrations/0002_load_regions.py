"""Load every ISO 3166-1 country as a Region, from pycountry."""

import pycountry
from django.db import migrations


def load_regions(apps, schema_editor):
    Region = apps.get_model("reports", "Region")
    existing = set(Region.objects.values_list("code", flat=True))
    Region.objects.bulk_create(
        Region(code=country.alpha_2, name=getattr(country, "common_name", country.name))
        for country in pycountry.countries
        if country.alpha_2 not in existing
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
