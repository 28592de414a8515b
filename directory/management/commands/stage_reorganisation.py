"""``manage.py stage_reorganisation FILE --title … --date YYYY-MM-DD``: stage, print the dry run.

The command-line twin of /directory/reorganisations/ for the 人事課's IT staff; it runs as the
system (no actor), so keep it to people allowed to run manage.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.exceptions import KairanError
from directory.reorg import reorg_dry_run, reorg_stage
from directory.reorg_models import Reorganisation


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Stage a reorganisation from a CSV file and print its dry run.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--title", required=True)
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument(
            "--numbering",
            choices=Reorganisation.Numbering.values,
            default=Reorganisation.Numbering.CONTINUE,
        )

    def handle(self, *args, file: str, title: str, date: str, numbering: str, **options) -> None:
        try:
            effective_on = _date(date)
            data = Path(file).read_bytes()
            staged = reorg_stage(
                actor=None,
                title=title,
                effective_on=effective_on,
                data=data,
                file_name=Path(file).name,
                numbering=numbering,
            )
            report = reorg_dry_run(actor=None, reorganisation=staged)
        except (KairanError, OSError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        counts = report["counts"]
        self.stdout.write(
            f"staged {staged.pk}: people {counts['people']}, units {counts['units']}, "
            f"steps {counts['steps']}, drafts {counts['drafts']}, "
            f"post-reviews {counts['post_reviews']}, rules {counts['rules']}, "
            f"problems {counts['problems']}"
        )
        for problem in report["problems"]:
            self.stdout.write(f"line {problem['line']}: {problem['message']}")
        for row in report["steps"]:
            self.stdout.write(
                f"step: {row['proposal']} {row['title']} {row['from']} -> {row['to'] or '-'}"
            )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("Not a date: %(text)s") % {"text": text}) from exc
