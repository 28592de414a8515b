"""``manage.py audit_verify``: recompute the audit hash chain (CONTRACT.md "Commands").

Exit 0 printing ``OK <n> events`` and, on a second line, the head hash to write down; exit 1
naming the first bad event otherwise. ``--expect-head <hash>`` (a hash written down earlier)
also fails when the chain no longer contains it, which is how a wholesale rewrite shows.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.selectors import chain_verify

EXIT_BROKEN = 1
_HASH = re.compile(r"[0-9a-f]{64}")


def _head_hash(value: str) -> str:
    value = value.strip().lower()
    if not _HASH.fullmatch(value):
        raise argparse.ArgumentTypeError("expected the 64 hex digits printed by audit_verify")
    return value


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain; exit 1 naming the first bad event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            type=_head_hash,
            metavar="HASH",
            help="a head hash printed by an earlier run: fail unless the chain still contains it",
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="rows fetched per round trip"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = chain_verify(batch_size=options["batch_size"], expect_head=options["expect_head"])
        if not result.ok:
            if result.first_bad_seq is None:
                where = "audit chain broken"
            elif result.first_bad_id is None:
                where = f"audit chain broken at event #{result.first_bad_seq} (missing)"
            else:
                where = (
                    f"audit chain broken at event #{result.first_bad_seq} "
                    f"(id {result.first_bad_id})"
                )
            # CommandError's returncode becomes the process's exit status in manage.py.
            counted = (
                f"{result.count} intact events before it"
                if result.first_bad_seq is not None
                else f"{result.count} events verified"
            )
            raise CommandError(
                f"{where}: {result.reason} [{result.problem}]; {counted}",
                returncode=EXIT_BROKEN,
            )
        self.stdout.write(f"OK {result.count} events")
        self.stdout.write(result.head_hash)
        if options["expect_head"]:
            self.stdout.write(f"expected head found at event #{result.anchor_seq}")
