"""LDAP authentication backend (placeholder)."""

from django.contrib.auth.backends import BaseBackend


class LDAPBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return None
