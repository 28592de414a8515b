"""Background work of records (django-tasks). In the embedded default the ImmediateBackend runs
a task in-process right after the upload commits; ``KAIRAN_TASK_WORKERS=external`` with a
database backend moves it to workers. The status is on the ``TextExtraction`` row either way.
"""

from __future__ import annotations

from django_tasks import task


@task()
def extract_version_text(version_id: int) -> str:
    """Extract the text of one version; returns the final status (``done`` or ``failed``)."""
    from documents.services import extraction_run

    return extraction_run(version_id=version_id).status
