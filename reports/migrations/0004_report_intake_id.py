import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_alter_service_category"),
    ]

    # Reports stored before this migration keep a NULL intake_id (NULLs never clash
    # under the unique constraint); a callable default on AddField would give them
    # all the same value.
    operations = [
        migrations.AddField(
            model_name="report",
            name="intake_id",
            field=models.UUIDField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="report",
            name="intake_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, null=True, unique=True),
        ),
    ]
