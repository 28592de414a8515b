"""Rebuild the search index from the records and proposals, through their apps' code."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from documents.search import index_replace_all
from documents.search.kinds import kinds


class Command(BaseCommand):
    help = "Rebuild the full-text search index (all kinds, or the ones named)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help="kinds to rebuild (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        registry = kinds()
        names = options["kinds"] or sorted(registry)
        unknown = sorted(set(names) - set(registry))
        if unknown:
            raise CommandError(f"Unknown kinds: {', '.join(unknown)} (known: {sorted(registry)})")
        for name in names:
            started = time.perf_counter()
            # One transaction per kind: searches see the old entries until the new are complete.
            with transaction.atomic():
                count = index_replace_all(registry[name].walk(), kind=name)
            self.stdout.write(f"{name}: {count} indexed in {time.perf_counter() - started:.1f} s")
