"""The city's calendar: 和暦 at every era boundary, Tokyo days for aware datetimes, 年度."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from directory.calendar import (
    fiscal_year,
    fiscal_year_end,
    fiscal_year_label,
    fiscal_year_start,
    wareki,
    wareki_short,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(1868, 1, 25), "明治元年1月25日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2026, 11, 27), "令和8年11月27日"),
    ],
)
def test_wareki_at_every_era_boundary(day: date, expected: str) -> None:
    assert wareki(day) == expected


def test_first_year_as_a_number_when_asked() -> None:
    assert wareki(date(2019, 5, 1), gannen=False) == "令和1年5月1日"
    assert wareki(date(1989, 1, 8), gannen=False) == "平成1年1月8日"


def test_before_meiji_is_refused() -> None:
    with pytest.raises(ValueError, match="before 明治"):
        wareki(date(1868, 1, 24))


def test_aware_datetime_is_read_in_tokyo() -> None:
    # 15:30 UTC on the last day of 平成 is 00:30 on the first day of 令和 in Tokyo.
    assert wareki(datetime(2019, 4, 30, 15, 30, tzinfo=UTC)) == "令和元年5月1日"
    assert wareki(datetime(2019, 4, 30, 14, 59, 59, tzinfo=UTC)) == "平成31年4月30日"
    # Another offset: 2019-05-01 08:00 in New York is 21:00 the same day in Tokyo.
    new_york = timezone(timedelta(hours=-4))
    assert wareki(datetime(2019, 5, 1, 8, 0, tzinfo=new_york)) == "令和元年5月1日"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        wareki(datetime(2019, 5, 1, 0, 30))  # noqa: DTZ001 (the point of the test)


def test_short_form_for_seal_cells() -> None:
    assert wareki_short(date(2026, 11, 27)) == "R8.11.27"
    assert wareki_short(date(2019, 5, 1)) == "R1.5.1"
    assert wareki_short(date(2019, 4, 30)) == "H31.4.30"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 31), 2026),
        (date(2027, 4, 1), 2027),
        (date(2027, 1, 1), 2026),
        (date(2026, 12, 31), 2026),
    ],
)
def test_fiscal_year_runs_april_to_march(day: date, expected: int) -> None:
    assert fiscal_year(day) == expected


def test_fiscal_year_of_aware_datetime_uses_tokyo_day() -> None:
    # 2027-03-31 15:00 UTC is already April 1 in Tokyo: the new fiscal year.
    assert fiscal_year(datetime(2027, 3, 31, 15, 0, tzinfo=UTC)) == 2027
    assert fiscal_year(datetime(2027, 3, 31, 14, 59, tzinfo=UTC)) == 2026


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_start(2026) == date(2026, 4, 1)
    assert fiscal_year_end(2026) == date(2027, 3, 31)
    assert fiscal_year(fiscal_year_end(2026)) == 2026
    assert fiscal_year(fiscal_year_end(2026) + timedelta(days=1)) == 2027


@pytest.mark.parametrize(
    ("fy", "expected"),
    [
        (2026, "令和8年度"),
        (2019, "令和元年度"),  # began on 平成31年4月1日, named in the era of most of the year
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),  # 平成 began in January 1989, inside the year but not in 1988
    ],
)
def test_fiscal_year_label(fy: int, expected: str) -> None:
    assert fiscal_year_label(fy) == expected
