"""``python manage.py seed_demo``: the demo city (idempotent). See directory/demo.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from directory.demo import seed_demo_city


class Command(BaseCommand):
    help = "Load the fictional demo city hall (idempotent)."

    def handle(self, *args, **options) -> None:
        summary = seed_demo_city()
        self.stdout.write(
            f"demo city: people created {summary.people_created}, "
            f"updated {summary.people_updated}; units created {summary.units_created}, "
            f"updated {summary.units_updated}"
        )
