"""What the approval engine hands to the renderers: plain frozen data, no model instances.

The engine turns a proposal and its route into these objects (labels already in Japanese,
names already resolved), so rendering never touches the database and can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

StampKind = Literal["approve", "consult", "decide"]
StampState = Literal["approved", "pending", "skipped", "returned"]
SealMode = Literal["omitted", "requested"]


@dataclass(frozen=True, slots=True)
class StampCell:
    """One cell of the 決裁欄: one step of the route.

    ``name`` is the person whose seal is in the cell, i.e. whoever acted; when a deputy acted
    (代決) ``acting_for_name`` names the step's owner. ``marks`` are shown beside the seal,
    e.g. ("代決",), ("代決", "後閲") or ("引上げ",).
    """

    position: str
    name: str
    decided_on: date | None
    kind: StampKind
    marks: tuple[str, ...] = ()
    state: StampState = "pending"
    acting_for_name: str = ""


@dataclass(frozen=True, slots=True)
class AttachmentLine:
    """One attachment as the round asked about it: its title, version and SHA-256."""

    title: str
    version: int | None = None
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One entry of the history of every round: 回次, what was done, by whom, when, comment."""

    round: int
    action: str
    name: str
    on: date
    comment: str = ""


@dataclass(frozen=True, slots=True)
class DecisionDocument:
    """A proposal as printed: the 決裁文書 (or, before the decision, the 起案用紙).

    ``category`` and ``authority_level`` are display labels (e.g. "支出", "部長決裁").
    ``heading`` defaults to 決裁文書 once decided and 起案用紙 before; pass one to override.
    """

    title: str
    document_number: str
    category: str
    authority_level: str
    drafter_name: str
    drafter_unit: str
    drafted_on: date
    decided_on: date | None
    body: str
    # Plain titles, or AttachmentLine with the version and hash the round decided on.
    attachments: tuple[str | AttachmentLine, ...] = ()
    stamps: tuple[StampCell, ...] = ()
    city_name: str = "交野市"
    heading: str = ""
    issued_on: date | None = None  # 施行日, when the decision has been issued
    amount_yen: int | None = None
    # 簿冊 and 保存年限, e.g. "工事関係 起案綴（保存年限 10年）"; empty when not named.
    filing: str = ""
    # Every round's history (send-backs and resubmissions), when there was more than one.
    rounds_history: tuple[HistoryLine, ...] = ()

    @property
    def heading_text(self) -> str:
        if self.heading:
            return self.heading
        return "決裁文書" if self.decided_on else "起案用紙"


@dataclass(frozen=True, slots=True)
class IssueLetter:
    """An outgoing letter (施行文書) issued in the mayor's name after the decision."""

    document_number: str
    issued_on: date
    addressee: str
    subject: str
    body: str
    mayor_name: str
    city_name: str = "交野市"
    seal: SealMode = "omitted"
    honorific: str = "様"  # 様 by default; 殿 where a unit still uses it

    @property
    def sender_title(self) -> str:
        return f"{self.city_name}長"
