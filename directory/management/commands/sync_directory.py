"""``python manage.py sync_directory``: pull org units and people from LDAP (CONTRACT.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from directory.integrations import ldap
from directory.models import OrgUnit, Person, Source
from directory.services import directory_apply_snapshot


class _RawStream:
    """tqdm redraws with carriage returns; Django's OutputWrapper would add a newline to each."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when asked (argparse cannot take lazy strings)
        return _(
            "Pull org units and people from the directory (KAIRAN_LDAP_*). Idempotent; people "
            "gone from the directory are deactivated, never deleted."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--allow-empty",
            action="store_true",
            help=_("Apply even if the directory returns no people or no units (deactivates all)."),
        )

    def handle(self, *args, allow_empty: bool = False, **options) -> None:
        if not (settings.LDAP.get("URL") or "").strip():
            raise CommandError(
                _("KAIRAN_LDAP_URL is not set: there is no directory to synchronise with.")
            )
        try:
            snapshot = ldap.fetch_snapshot()
        except ldap.DirectoryError as exc:
            raise CommandError(str(exc)) from exc
        if not allow_empty:
            self._refuse_empty(snapshot)
        bar = tqdm(
            total=len(snapshot.people),
            desc=_("people"),
            unit="",
            file=_RawStream(self.stderr),
            disable=int(options.get("verbosity", 1)) < 1,
        )

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        try:
            summary = directory_apply_snapshot(snapshot=snapshot, progress=progress)
        finally:
            bar.close()
        # The summary lines are a fixed, parseable shape (CONTRACT.md), so not translated.
        self.stdout.write(
            f"people: created {summary.people_created}, updated {summary.people_updated}, "
            f"deactivated {summary.people_deactivated}; "
            f"units: created {summary.units_created}, updated {summary.units_updated}, "
            f"deactivated {summary.units_deactivated}"
        )
        self.stdout.write(f"{summary.changes} changes")
        if summary.steps_moved:
            self.stdout.write(f"{summary.steps_moved} pending approval steps followed their post")
        for warning in summary.warnings:
            self.stdout.write(_("warning: %(message)s") % {"message": warning})
        for username, reason in summary.unresolved:
            self.stdout.write(
                _("unplaced: %(username)s: %(reason)s") % {"username": username, "reason": reason}
            )

    def _refuse_empty(self, snapshot) -> None:
        # A wrong base or filter returns nothing; applying that would deactivate everyone.
        people = Person.objects.filter(source=Source.DIRECTORY, is_active=True).count()
        units = OrgUnit.objects.filter(source=Source.DIRECTORY, is_active=True).count()
        if (not snapshot.people and people) or (not snapshot.units and units):
            raise CommandError(
                _(
                    "The directory returned %(people)d people and %(units)d units, which would "
                    "deactivate %(active_people)d people and %(active_units)d units. Check "
                    "KAIRAN_LDAP_USER_BASE, KAIRAN_LDAP_ORG_BASE and KAIRAN_LDAP_USER_FILTER, "
                    "or pass --allow-empty."
                )
                % {
                    "people": len(snapshot.people),
                    "units": len(snapshot.units),
                    "active_people": people,
                    "active_units": units,
                }
            )
