"""What the directory says, as plain data: the input of ``services.directory_apply_snapshot``.

The LDAP integration reads a snapshot from slapd or Active Directory; ``seed_demo`` builds one from
the demo city; both are applied by the same service, so the demo and a real sync cannot diverge.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitEntry:
    dn: str
    name: str  # the ``ou`` value, which people's unit attribute refers to
    parent_dn: str | None  # None for a unit directly under the org base
    sort_order: int = 0
    code: str = ""  # KAIRAN_LDAP_ATTR_UNIT_CODE of the OU, when configured


@dataclass(frozen=True)
class PostEntry:
    unit: str  # a unit's ``ou`` value (or its DN)
    title: str


@dataclass(frozen=True)
class PersonEntry:
    dn: str
    username: str
    display_name: str
    email: str = ""
    employee_number: str = ""
    posts: tuple[PostEntry, ...] = ()  # the first is the primary post, the rest are 兼務
    is_disabled: bool = False  # AD's userAccountControl disable bit, or accountExpires passed


@dataclass
class DirectorySnapshot:
    units: list[UnitEntry] = field(default_factory=list)
    people: list[PersonEntry] = field(default_factory=list)


@dataclass
class SyncSummary:
    units_created: int = 0
    units_updated: int = 0
    units_deactivated: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_deactivated: int = 0
    warnings: list[str] = field(default_factory=list)
    # Everyone whose unit could not be found: (username, why), one line per person and unit.
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    # Pending approval steps that followed their post to its new holder (not a directory change).
    steps_moved: int = 0

    @property
    def changes(self) -> int:
        return (
            self.units_created
            + self.units_updated
            + self.units_deactivated
            + self.people_created
            + self.people_updated
            + self.people_deactivated
        )
