"""The city's calendar: Japanese era dates (和暦) and fiscal years (年度, April–March).

A five-row era table rather than a library: japanera puts 明治 at 1868-01-23 (the usual table
says 01-25), writes 元 only with kanji numerals, and needs kanjize; jpdatetime raises TypeError
on aware datetimes and cannot print 1年 instead of 元年. Both handle the modern boundaries, but
neither is worth a dependency for five rows that change once a generation.

Dates before 1873 (明治6年, when Japan adopted the Gregorian calendar) are printed with their
Gregorian month and day; the table exists for administrative dates, not historical research.
The labels are Japanese literals because they are the official notation, not UI text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Tokyo")


class Era(NamedTuple):
    name: str  # 令和
    letter: str  # R, used in the short stamp form R8.11.27
    starts_on: date


# Newest first, so the first era whose start is not after the date is the right one.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("明治", "M", date(1868, 1, 25)),
)


def city_date(d: date | datetime) -> date:
    """The calendar day in Tokyo: aware datetimes are converted first; naive ones are refused."""
    if isinstance(d, datetime):
        if d.tzinfo is None or d.utcoffset() is None:
            # A naive datetime has no day in Tokyo we can be sure of; the project is USE_TZ=True.
            raise ValueError("naive datetime: pass an aware datetime or a date")
        return d.astimezone(CITY_TZ).date()
    return d


def era_of(d: date | datetime) -> tuple[Era, int]:
    """The era in force on ``d`` (in Tokyo) and the year within it (1 for 元年)."""
    day = city_date(d)
    for era in ERAS:
        if day >= era.starts_on:
            return era, day.year - era.starts_on.year + 1
    raise ValueError(f"{day.isoformat()} is before 明治 (1868-01-25)")


def _year_text(year: int, gannen: bool) -> str:
    return "元" if gannen and year == 1 else str(year)


def wareki(d: date | datetime, *, gannen: bool = True) -> str:
    """``令和8年11月27日``; the first year of an era is 元年 unless ``gannen=False``."""
    day = city_date(d)
    era, year = era_of(day)
    return f"{era.name}{_year_text(year, gannen)}年{day.month}月{day.day}日"


def wareki_short(d: date | datetime) -> str:
    """The short form used inside a seal cell, e.g. ``R8.11.27`` (``R1.5.1`` for 元年)."""
    day = city_date(d)
    era, year = era_of(day)
    return f"{era.letter}{year}.{day.month}.{day.day}"


def fiscal_year(d: date | datetime) -> int:
    """The fiscal year (年度) containing ``d``, named by the calendar year it starts in."""
    day = city_date(d)
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(fy: int) -> date:
    """April 1 of ``fy``."""
    return date(fy, 4, 1)


def fiscal_year_end(fy: int) -> date:
    """March 31 of ``fy + 1``, the last day of fiscal year ``fy``."""
    return date(fy + 1, 3, 31)


def fiscal_year_label(fy: int, *, gannen: bool = True) -> str:
    """``令和8年度``.

    A fiscal year is named in the era in force at the end of its first calendar year, as
    offices did in 2019 (令和元年度, although April 2019 was still 平成31年) and in 1988
    (昭和63年度: 平成 began in January 1989, not in calendar year 1988).
    """
    era, year = era_of(date(fy, 12, 31))
    return f"{era.name}{_year_text(year, gannen)}年度"
