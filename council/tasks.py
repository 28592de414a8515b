"""Background work of the council module (django-tasks): pre-rendering a material version's pages.

The job is queued with the upload (``audit.transactions.enqueue_with_change``): with
``KAIRAN_TASK_WORKERS=external`` its row is written inside the upload's transaction, so a crash
right after the commit leaves it queued and a worker renders the pages; in the embedded default
the ImmediateBackend runs it right after the commit, and it hands the rendering to a bounded
background thread so the upload's answer does not wait for 300 pages.
"""

from __future__ import annotations

from django_tasks import task


@task()
def prerender_version(version_id: int) -> int:
    """Render both sizes of every page of one material version into the page cache.

    Returns how many images were rendered here (0 when handed to a thread or already cached).
    """
    from council import rendering
    from council.models import MaterialVersion

    version = MaterialVersion.objects.filter(pk=version_id).first()
    if version is None:  # removed since (a rolled-back test, a purge): nothing to render
        return 0
    args = {
        "sha256": version.pdf_sha256,
        "key": version.pdf_storage_key,
        "pages": version.page_count,
    }
    if on_task_worker():  # render here, to the end: the job is done when the pages are
        return rendering.prerender(**args)
    rendering.prerender_later(**args)
    return 0


def on_task_worker() -> bool:
    """Whether council jobs go to external task workers (a database queue)."""
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - a dependency
        return False
    return isinstance(prerender_version.get_backend(), DatabaseBackend)
