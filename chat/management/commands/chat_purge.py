"""Delete chat messages past their retention period (never filed records or legal holds)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chat.records import messages_purge


class Command(BaseCommand):
    help = "Delete chat messages past their room type's retention period (audited)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only")

    def handle(self, *args, dry_run: bool = False, **options):
        counts = messages_purge(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {counts['messages']} messages")
