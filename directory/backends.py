"""Local accounts (councilors, a break-glass administrator): people outside the directory.

A person synced from the directory has an unusable local password and signs in through LDAP
only, so a stale local password can never bypass the directory.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from directory.models import Source


class LocalAccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        # PostgreSQL refuses NUL in text parameters with an error (a 500), and no username can
        # hold one: refuse before querying.
        if username is not None and "\x00" in str(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        person = getattr(user, "person", None)
        return person is None or (person.source == Source.LOCAL and person.is_active)
