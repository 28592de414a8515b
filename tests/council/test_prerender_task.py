"""Pre-rendering after upload is a django-tasks job queued with the upload
(``audit.transactions.enqueue_with_change``): with external workers its row is written in the
upload's transaction (nothing lost between commit and enqueue; nothing queued when the upload
rolls back) and a worker renders both sizes, the progress visible as the count of cached pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from council import rendering, services
from council.models import Material, Meeting
from tests.council.conftest import create_meeting, make_pdf, upload_material

TASK_PATH = "council.tasks.prerender_version"
PAGES = ["第一頁 予算", "第二頁 歳出", "第三頁 歳入"]


@pytest.fixture
def external_workers(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.COUNCIL_PRERENDER = "thread"


def _jobs():
    return DBTaskResult.objects.filter(task_path=TASK_PATH)


def _upload_with_service(council, meeting_id: int) -> Material:
    data = make_pdf(PAGES)
    return services.material_upload(
        actor=council.clerk.user,
        meeting=Meeting.objects.get(pk=meeting_id),
        title="議案第1号 資料",
        content=io.BytesIO(data),
        name="shiryo.pdf",
        size_bytes=len(data),
        publish_at="2026-01-01T00:00:00+09:00",
    )


def _rendered(material: Material, size: str = "page") -> int:
    version = material.current_version
    return rendering.rendered_count(sha256=version.pdf_sha256, pages=version.page_count, size=size)


@pytest.mark.django_db
def test_the_job_row_is_written_in_the_uploads_transaction(
    council, external_workers, django_capture_on_commit_callbacks
):
    meeting_id = create_meeting(council)
    with django_capture_on_commit_callbacks(), transaction.atomic():
        material = _upload_with_service(council, meeting_id)
        # Before the commit, inside the upload's transaction: the job is already a row, so a
        # process killed right after the commit (no on-commit callback run) loses nothing.
        job = _jobs().get()
        assert job.args_kwargs["args"] == [material.current_version_id]
        assert job.status == "READY"
    assert _rendered(material) == 0  # no worker has run yet

    class Abort(Exception):
        pass

    def upload_then_fail() -> None:
        with transaction.atomic():
            _upload_with_service(council, meeting_id)
            assert _jobs().count() == 2
            raise Abort

    with pytest.raises(Abort):
        upload_then_fail()
    assert _jobs().count() == 1  # a rolled-back upload queues nothing
    assert Material.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_worker_renders_both_sizes_and_the_progress_shows_it(council, external_workers):
    meeting_id = create_meeting(council)
    response = upload_material(council, meeting_id, pages=PAGES)
    assert response.status_code == 201, response.content
    material = Material.objects.get(pk=response.json()["id"])
    assert _jobs().get().status == "READY"
    detail = council_api_detail(council, material.pk)
    assert detail["rendered"] == 0

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())

    job = _jobs().get()
    assert job.status == "SUCCESSFUL"
    assert job.return_value == 2 * len(PAGES)
    assert _rendered(material, "page") == len(PAGES)
    assert _rendered(material, "thumb") == len(PAGES)
    assert council_api_detail(council, material.pk)["rendered"] == len(PAGES)


def council_api_detail(council, material_id: int) -> dict:
    from tests.council.conftest import api

    return api(council.clerk).get(f"/api/v1/council/materials/{material_id}/").json()


@pytest.mark.django_db
def test_embedded_workers_run_the_job_after_the_commit(
    council, settings, django_capture_on_commit_callbacks
):
    settings.COUNCIL_PRERENDER = "inline"  # the thread's work, in the test's own thread
    meeting_id = create_meeting(council)
    with django_capture_on_commit_callbacks(execute=True):
        material = _upload_with_service(council, meeting_id)
    assert not _jobs().exists()  # the in-process backend keeps no rows
    assert _rendered(material, "page") == len(PAGES)
    assert _rendered(material, "thumb") == len(PAGES)


@pytest.mark.django_db
def test_prerender_off_queues_nothing(council, external_workers, settings):
    settings.COUNCIL_PRERENDER = "off"
    _upload_with_service(council, create_meeting(council))
    assert not _jobs().exists()


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_prerender_renders_every_page_once_whatever_the_threads(threads):
    from council import files

    pdf = make_pdf([*PAGES, "第四頁"])
    sha256, key = files.store(pdf)
    assert rendering.prerender(sha256=sha256, key=key, pages=4, threads=threads) == 8
    for size in ("page", "thumb"):
        assert rendering.rendered_count(sha256=sha256, pages=4, size=size) == 4
    assert rendering.prerender(sha256=sha256, key=key, pages=4, threads=threads) == 0  # cached
    from council.rendering import page_image

    assert page_image(sha256=sha256, key=key, page=4)[:4] == b"RIFF"


def test_render_threads_follow_the_setting(settings):
    settings.COUNCIL_RENDER_THREADS = 3
    assert rendering.render_threads() == 3
    settings.COUNCIL_RENDER_THREADS = None
    assert 1 <= rendering.render_threads() <= 8
