"""Sign-in against the city directory: search-then-bind, then the person is created or updated.

Off when ``KAIRAN_LDAP_URL`` is unset. A directory that cannot be reached refuses sign-in (it is
logged) so that local accounts (councilors, the break-glass administrator) still work.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db import IntegrityError

from directory.integrations import ldap
from directory.models import Source
from directory.services import directory_upsert_person

logger = logging.getLogger(__name__)


class LDAPBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not (getattr(settings, "LDAP", None) or {}).get("URL"):
            return None
        if not isinstance(username, str) or not isinstance(password, str):
            return None
        try:
            entry = ldap.authenticate(username=username, password=password)
        except ldap.DirectoryError as exc:
            logger.error("Directory sign-in unavailable: %s", exc)
            return None
        if entry is None:
            return None
        try:
            person = directory_upsert_person(entry=entry, source=Source.DIRECTORY)
        except IntegrityError:
            # A sync created the same person concurrently: their row is there now.
            person = directory_upsert_person(entry=entry, source=Source.DIRECTORY)
        if person is None or not person.is_active or not person.user.is_active:
            return None
        return person.user

    def get_user(self, user_id):
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
