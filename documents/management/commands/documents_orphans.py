"""Find (and with --delete remove) stored files that no live Blob row refers to.

Such files come from an upload whose transaction rolled back after the file was written (an
outer transaction the upload service could not see), or from a purge interrupted after commit.
Files younger than --min-age-hours are left alone: an upload may still be committing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from documents.models import Blob
from documents.storage import blob_storage


class Command(BaseCommand):
    help = "List stored files without a live Blob row; --delete removes them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="remove the orphans")
        parser.add_argument("--min-age-hours", type=float, default=24.0)

    def handle(self, *args: Any, **options: Any) -> None:
        storage = blob_storage()
        cutoff = timezone.now() - timedelta(hours=options["min_age_hours"])
        live = set(
            Blob.objects.filter(purged_at__isnull=True).values_list("storage_key", flat=True)
        )
        orphans: list[str] = []
        if storage.exists("blobs"):
            for first in storage.listdir("blobs")[0]:
                for second in storage.listdir(f"blobs/{first}")[0]:
                    for name in storage.listdir(f"blobs/{first}/{second}")[1]:
                        key = f"blobs/{first}/{second}/{name}"
                        if key not in live and storage.get_modified_time(key) < cutoff:
                            orphans.append(key)
        for key in orphans:
            if options["delete"]:
                storage.delete(key)
            self.stdout.write(key)
        verb = "deleted" if options["delete"] else "found"
        self.stdout.write(f"{len(orphans)} orphan file(s) {verb}")
