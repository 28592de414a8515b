"""Fixtures of the browser tests: a small 市民部 whose people sign in with the test password."""

from __future__ import annotations

import pytest

from directory.models import OrgUnit
from tests.factories import OrgUnitFactory, make_person


@pytest.fixture
def shimin(transactional_db):
    """市民部 (部長) > 市民課 (課長) > 窓口係 (係長, 主事)."""
    L = OrgUnit.Level
    bu = OrgUnitFactory(name="市民部", level=L.DEPARTMENT)
    ka = OrgUnitFactory(name="市民課", level=L.DIVISION, parent=bu)
    kakari = OrgUnitFactory(name="窓口係", level=L.SECTION, parent=ka)
    return {
        "bucho": make_person("shimin.bucho", "市民 太郎", bu, "部長"),
        "kacho": make_person("shimin.kacho", "交野 さくら", ka, "課長"),
        "kakaricho": make_person("madoguchi.kakaricho", "窓口 健一", kakari, "係長"),
        "staff": make_person("madoguchi.staff", "窓口 花子", kakari, "主事"),
    }
