"""``manage.py stage_reorganisation FILE --title … --date YYYY-MM-DD``: stage, print the dry run.

The command-line twin of /directory/reorganisations/ for the 人事課's IT staff; it runs as the
system (no actor), so keep it to people allowed to run manage.py.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.exceptions import KairanError
from directory.integrations import ldap
from directory.reorg import reorg_dry_run, reorg_stage, reorg_stage_from_snapshot
from directory.reorg_models import Reorganisation


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Stage a reorganisation from a CSV file and print its dry run.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help=_("The CSV file (or --from-directory)."))
        parser.add_argument(
            "--from-directory",
            metavar="ORG_BASE",
            help=_(
                "Instead of a file: the next org chart prepared in the directory under this base "
                "(people under --user-base, default KAIRAN_LDAP_USER_BASE)."
            ),
        )
        parser.add_argument("--user-base", default="")
        parser.add_argument("--title", required=True)
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument(
            "--numbering",
            choices=Reorganisation.Numbering.values,
            default=Reorganisation.Numbering.CONTINUE,
        )

    def handle(self, *args, title: str, date: str, numbering: str, **options) -> None:
        file, base = options.get("file"), options.get("from_directory")
        if bool(file) == bool(base):
            raise CommandError(_("Give either a file or --from-directory."))
        effective_on = _date(date)
        try:
            if base:
                config = ldap.DirectoryConfig.from_settings()
                config = dataclasses.replace(
                    config, org_base=base, user_base=options.get("user_base") or config.user_base
                )
                staged = reorg_stage_from_snapshot(
                    actor=None,
                    title=title,
                    effective_on=effective_on,
                    snapshot=ldap.fetch_snapshot(config),
                    source_name=base,
                    numbering=numbering,
                )
            else:
                staged = reorg_stage(
                    actor=None,
                    title=title,
                    effective_on=effective_on,
                    data=Path(file).read_bytes(),
                    file_name=Path(file).name,
                    numbering=numbering,
                )
            report = reorg_dry_run(actor=None, reorganisation=staged)
        except (KairanError, OSError, ldap.DirectoryError) as exc:
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
