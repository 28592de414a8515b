"""Signals of the directory app, for apps above it (e.g. chat's unit rooms).

``directory_changed`` is sent inside the transaction of a sync or sign-in upsert, after units,
people and posts are written and before the sync's audit record: a receiver's writes commit or
roll back with the sync. Arguments: ``actor``.
"""

from django.dispatch import Signal

directory_changed = Signal()
