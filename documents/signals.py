"""Signals other apps may listen to (the search index, previews). Sent after the fact."""

from django.dispatch import Signal

# Sent with ``version`` (a DocumentVersion) when its text has been extracted.
text_extracted = Signal()
