"""Delete stored realtime events older than --days (default 30): a client that resumes from
before them is told to resync. The messages themselves live in their apps' tables."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from realtime.services import events_purge


class Command(BaseCommand):
    help = "Delete stored realtime events older than --days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days: int = 30, **options):
        deleted = events_purge(before=timezone.now() - timedelta(days=max(days, 1)))
        self.stdout.write(f"deleted {deleted} events")
