from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("council", "0002_presenter_position"),
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="material",
            name="audience",
            field=models.CharField(
                choices=[
                    ("all", "All councilors"),
                    ("committee", "Members of a committee"),
                    ("secretariat", "Secretariat only"),
                    ("people", "Named executives"),
                ],
                default="all",
                max_length=20,
                verbose_name="audience",
            ),
        ),
        migrations.AddField(
            model_name="material",
            name="readers",
            field=models.ManyToManyField(
                blank=True,
                related_name="council_materials",
                to="directory.person",
                verbose_name="named readers",
            ),
        ),
    ]
