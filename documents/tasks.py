"""Background work of records: the task lives with its service
(``documents.services.extract_version_text``). This name stays for jobs queued by an earlier
version under ``documents.tasks.extract_version_text``."""

from documents.services import extract_version_text

__all__ = ["extract_version_text"]
