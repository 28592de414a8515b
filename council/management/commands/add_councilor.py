"""``python manage.py add_councilor USERNAME --name NAME --password PW [--committee NAME]...``"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.exceptions import KairanError
from council.models import Councilor
from council.services import councilor_upsert


class Command(BaseCommand):
    help = "Create or update a councilor's local account (committees are created as needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--committee", action="append", default=None, dest="committees")
        parser.add_argument("--role", choices=Councilor.Role.values, default=None)

    def handle(self, *args, **options) -> None:
        try:
            councilor, created = councilor_upsert(
                username=options["username"],
                name=options["name"],
                password=options["password"],
                committees=options["committees"],
                role=options["role"],
            )
        except KairanError as exc:
            raise CommandError(str(exc)) from exc
        committees = ", ".join(councilor.committees.values_list("name", flat=True)) or "-"
        self.stdout.write(
            f"{'created' if created else 'updated'} councilor {options['username']} "
            f"({councilor.person.display_name}; committees: {committees})"
        )
