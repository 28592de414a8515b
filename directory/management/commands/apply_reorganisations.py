"""``manage.py apply_reorganisations``: apply every staged reorganisation whose date has come.

Run it daily (cron, a systemd timer) shortly after midnight; applying is idempotent, so running
it twice on the day changes nothing the second time.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.exceptions import KairanError
from directory.reorg import reorg_apply, reorgs_due


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Apply the staged reorganisations whose effective date has come.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help=_("Apply as on this day (YYYY-MM-DD) instead of today."))

    def handle(self, *args, date: str | None = None, **options) -> None:
        today = _parse(date) if date else None
        due = reorgs_due(today)
        failed = 0
        for item in due:
            try:
                report = reorg_apply(actor=None, reorganisation=item, today=today)
            except KairanError as exc:
                failed += 1
                self.stderr.write(f"{item.pk} {item.title}: {exc.message}")
                continue
            counts = report["counts"]
            # A fixed, parseable shape, like sync_directory's summary lines.
            self.stdout.write(
                f"{item.pk} {item.title}: people {counts['people']}, units {counts['units']}, "
                f"steps {counts['steps']}, drafts {counts['drafts']}, "
                f"post-reviews {counts['post_reviews']}, problems {counts['problems']}"
            )
        self.stdout.write(f"{len(due) - failed} applied")
        if failed:
            raise CommandError(_("%(n)d reorganisations could not be applied.") % {"n": failed})


def _parse(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("Not a date: %(text)s") % {"text": text}) from exc
