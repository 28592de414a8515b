"""Retention (保存年限) rules, as pure functions.

A record's retention counts from April 1 after the end of the fiscal year (年度) in which its
binder closed: a binder of 令和6年度 (April 2024 – March 2025) kept 1 year may be disposed of
after March 31, 2026. The **disposal date** is that last day of retention,
``fiscal_year_end(closing fiscal year + years)``; a binder is *due* for disposal on any day
after it. 永年 (permanent) has no disposal date.
"""

from __future__ import annotations

from datetime import date

from directory.calendar import fiscal_year, fiscal_year_end
from documents.models import Retention


def closing_fiscal_year(*, binder_fiscal_year: int, closed_on: date | None) -> int:
    """The fiscal year in which the binder closed: of ``closed_on``, else its own year."""
    return fiscal_year(closed_on) if closed_on is not None else binder_fiscal_year


def disposal_date(*, closing_fy: int, retention: int) -> date | None:
    """The last day of retention for a binder that closed in ``closing_fy``; None for 永年."""
    if retention == Retention.PERMANENT:
        return None
    if retention not in Retention.values:
        raise ValueError(f"unknown retention period: {retention!r}")
    return fiscal_year_end(closing_fy + retention)


def is_due(*, disposal_on: date | None, on: date) -> bool:
    """Whether retention is over on ``on`` (the day after the disposal date, or later)."""
    return disposal_on is not None and on > disposal_on
