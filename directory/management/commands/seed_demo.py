"""``python manage.py seed_demo``: the demo city (idempotent). See directory/demo.py."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from directory.demo import DEMO_PASSWORD, seed_demo_city


class Command(BaseCommand):
    help = "Load the fictional demo city hall (idempotent)."

    def handle(self, *args, **options) -> None:
        summary = seed_demo_city()
        self.stdout.write(
            f"demo city: people created {summary.people_created}, "
            f"updated {summary.people_updated}; units created {summary.units_created}, "
            f"updated {summary.units_updated}"
        )
        # The council sits above the directory (docs/architecture.md): found by name, not imported.
        if apps.is_installed("council"):
            seed = import_string("council.demo.seed_demo_councilors")
            self.stdout.write(f"demo council: councilors created {seed(password=DEMO_PASSWORD)}")
