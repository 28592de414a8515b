"""Signal receivers of the directory app: every sign-in, failure, lockout and sign-out is audited.

Receivers only forward to ``directory.auth``; the rules live there.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from directory import auth


@receiver(user_logged_in, dispatch_uid="directory.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    auth.login_record(user=user, request=request, method=kwargs.get("method", "session"))


@receiver(user_logged_out, dispatch_uid="directory.audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    auth.logout_record(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="directory.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    auth.login_failure_record(credentials=credentials, request=request)


@receiver(user_locked_out, dispatch_uid="directory.audit_locked_out")
def audit_locked_out(sender, request=None, username=None, **kwargs) -> None:
    auth.lockout_record(username=username, request=request)
