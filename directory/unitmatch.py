"""Finding a unit from what a directory or a file says about it.

Active Directory's ``department`` is free text: the unit's name (文書法規係), its path
written together (総務部総務課文書法規係) or with separators (総務部/総務課/文書法規係,
総務部 総務課), a path without its 部 (総務課文書法規係), or a unit code. ``UnitIndex``
answers each of these with one active unit, or says why not (unknown, ambiguous), so a sync
and a reorganisation file (``directory/reorg.py``) report every person they cannot place with
the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext as _

from directory.integrations.ldap import normalize_dn
from directory.models import OrgUnit

# What people put between the parts of a path. Not "・": it is part of names (子育て・健康部).
_SEPARATORS = re.compile(r"[\s/／\\＼>＞|｜,、]+")

UNKNOWN = "unknown"
AMBIGUOUS = "ambiguous"
EMPTY = "empty"


def name_key(text: str) -> str:
    """A comparison key for a name or a path: width folded (NFKC), case folded, no separators."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def reason_text(reason: str, ref: str) -> str:
    """The reason a unit reference placed nobody, for the sync report and the dry run."""
    if reason == AMBIGUOUS:
        return _("%(unit)s matches several units") % {"unit": ref}
    if reason == EMPTY:
        return _("no unit: not inside the org tree and no department given")
    return _("no unit matches %(unit)s (by name, path or code)") % {"unit": ref}


class UnitIndex:
    """Active units by DN, name, every path ending at them (together or separated) and code.

    ``units``: every unit (inactive ones too, for ``by_id``); only active units are matched, and
    only those of ``source`` by name, path or code (a DN is unique across sources anyway).
    """

    def __init__(self, units: Iterable[OrgUnit], source: str | None = None) -> None:
        self.by_id: dict[int, OrgUnit] = {}
        self.by_dn: dict[str, OrgUnit] = {}
        self.by_key: dict[str, set[int]] = defaultdict(set)
        units = list(units)
        for unit in units:
            self.by_id[unit.pk] = unit
        for unit in units:
            if not unit.is_active:
                continue
            if unit.dn:
                self.by_dn[normalize_dn(unit.dn)] = unit
            if source is not None and unit.source != source:
                continue
            for key in self._keys(unit):
                if key:
                    self.by_key[key].add(unit.pk)

    @classmethod
    def load(cls, source: str | None = None) -> UnitIndex:
        return cls(OrgUnit.objects.all(), source)

    def chain(self, unit: OrgUnit) -> list[OrgUnit]:
        """The unit and its ancestors, 部 first (from the loaded rows; no queries)."""
        chain, seen = [unit], {unit.pk}
        while chain[0].parent_id and chain[0].parent_id in self.by_id:
            parent = self.by_id[chain[0].parent_id]
            if parent.pk in seen:
                break
            seen.add(parent.pk)
            chain.insert(0, parent)
        return chain

    def path(self, unit: OrgUnit, separator: str = "/") -> str:
        return separator.join(u.name for u in self.chain(unit))

    def _keys(self, unit: OrgUnit) -> set[str]:
        names = [name_key(u.name) for u in self.chain(unit)]
        # Every path ending at the unit: 文書法規係, 総務課文書法規係, 総務部総務課文書法規係.
        keys = {"".join(names[start:]) for start in range(len(names))}
        if unit.code and unit.code != unit.name:
            keys.add(name_key(unit.code))
        return keys

    def resolve(self, ref: str) -> tuple[OrgUnit | None, str]:
        """The unit and "" — or None and why not (``unknown``, ``ambiguous``, ``empty``)."""
        ref = (ref or "").strip()
        if not ref:
            return None, EMPTY
        if "=" in ref and (unit := self.by_dn.get(normalize_dn(ref))):
            return unit, ""
        found = self.by_key.get(name_key(ref), set())
        if len(found) == 1:
            return self.by_id[next(iter(found))], ""
        return None, AMBIGUOUS if found else UNKNOWN
