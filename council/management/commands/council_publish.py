"""``python manage.py council_publish``: notify the audience of materials whose publish_at has
passed (run it every minute from cron or a timer). Visibility does not wait for it: a material is
visible from its publish_at on; this only sends the notifications, once per material."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from council.services import materials_announce_due


class Command(BaseCommand):
    help = "Notify councilors of materials published since the last run (idempotent)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"materials announced: {materials_announce_due()}")
