"""Domain errors shared by every app (audit is the bottom of the dependency graph).

Services raise these; the API's exception handler and the HTML views turn them into the status of
CONTRACT.md: 400 bad input, 403 not allowed, 404 not found or not visible, 409 state conflict.
"""

from __future__ import annotations


class KairanError(Exception):
    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(KairanError):
    status_code = 400


class PermissionRefused(KairanError):
    status_code = 403


class NotFound(KairanError):
    """Not found, or not visible to the caller: the two must look the same."""

    status_code = 404


class Conflict(KairanError):
    status_code = 409


class ChainBroken(KairanError):
    status_code = 500


class Busy(KairanError):
    """The database kept refusing the change as a lock conflict (a deadlock or a serialization
    failure) after every retry: try again later. Nothing was written."""

    status_code = 503
