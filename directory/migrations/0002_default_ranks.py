from django.db import migrations

from directory.ranks import DEFAULT_RANKS


def add_default_ranks(apps, schema_editor):
    Position = apps.get_model("directory", "Position")
    for title, rank in DEFAULT_RANKS.items():
        Position.objects.get_or_create(title=title, defaults={"rank": rank})


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(add_default_ranks, migrations.RunPython.noop)]
