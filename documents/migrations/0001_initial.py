# The documents app's root migration: its models and the search index each build on it.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [("directory", "0002_default_ranks")]
    operations: list = []
