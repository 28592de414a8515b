"""``{% user_event_head user %}``: where the signed-in person's event stream stands now.

A page renders it before the counts it shows (the header bell), and its script connects with
``?last_event_id=`` set to it: whatever happened between the render and the connection is
replayed, so no notification falls in between (persist-then-publish, realtime/README.md).
"""

from __future__ import annotations

from typing import Any

from django import template

from realtime.selectors import stream_head_for_key
from realtime.services import user_stream_key

register = template.Library()


@register.simple_tag
def user_event_head(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return stream_head_for_key(user_stream_key(user.pk))
