"""At publish_at a material appears for its audience and they are notified, once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from council.models import Material
from directory.models import Notification
from tests.council.conftest import COMMITTEE_A, create_meeting, upload_material

pytestmark = pytest.mark.django_db


def _announce() -> str:
    out = io.StringIO()
    call_command("council_publish", stdout=out)
    return out.getvalue()


def test_the_audience_is_notified_once_at_publish_at(council):
    meeting_id = create_meeting(council)
    publish_at = timezone.now() + timedelta(hours=1)
    upload_material(council, meeting_id, publish_at=publish_at, audience=f"committee:{COMMITTEE_A}")
    assert "announced: 0" in _announce()
    assert not Notification.objects.filter(kind="council.material_published").exists()
    with time_machine.travel(publish_at + timedelta(seconds=5)):
        assert "announced: 1" in _announce()
        assert "announced: 0" in _announce()
    notified = set(
        Notification.objects.filter(kind="council.material_published").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert notified == {"giin.a", "gicho"}  # committee A only
    assert Material.objects.get().announced_at is not None
