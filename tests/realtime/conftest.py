"""The realtime tests drive it through chat's socket: they share chat's fixtures (a unit room
built by the unit-room sync from the ``org`` fixture)."""

from __future__ import annotations

from tests.chat.conftest import ChatWorld, api, chat  # noqa: F401  (fixtures)
