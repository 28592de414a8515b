"""The demo council: 15 councilors (議長, 副議長, three standing committees), idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from council import permissions
from council.models import Committee, Councilor

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_fifteen_councilors_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "councilors created 15" in out.getvalue()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "councilors created 0" in out.getvalue()
    assert Councilor.objects.count() == 15
    assert Councilor.objects.filter(role=Councilor.Role.CHAIR).count() == 1
    assert Councilor.objects.filter(role=Councilor.Role.VICE_CHAIR).count() == 1
    assert Committee.objects.count() == 3
    users = get_user_model().objects
    chair = users.get(username="giin.ishikawa")
    assert chair.check_password("kairan-demo-2026")
    assert permissions.can_present(chair)
    # The secretariat are the people of 議会事務局 and its sub-units.
    assert permissions.is_secretariat(users.get(username="nakagawa.mai"))
    assert permissions.is_secretariat(users.get(username="fujiwara.isamu"))
    assert not permissions.is_secretariat(users.get(username="inoue.takuya"))
    assert not permissions.is_councilor(users.get(username="inoue.takuya"))
