"""The search box in the header of every page, and the search page it leads to."""

from __future__ import annotations

import re

import pytest

from tests.factories import OrgUnitFactory, make_person

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


@pytest.fixture
def signed_in(client):
    person = make_person("somu.staff", "総務 次郎", OrgUnitFactory(name="総務課"), "主任")
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


@pytest.mark.parametrize("path", ["/", "/approval/", "/records/", "/notifications/"])
def test_every_page_has_a_labelled_search_box_in_its_header(signed_in, path):
    html = signed_in.get(path).content.decode()

    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    form = re.search(r'<form class="site-search" role="search"[^>]*>(.*?)</form>', header, re.S)
    assert form, header
    assert 'action="/records/search/"' in form.group(0)
    assert 'method="get"' in form.group(0)
    assert '<label class="visually-hidden" for="site-search-q">文書・起案を検索</label>' in form[1]
    assert 'id="site-search-q"' in form[1]
    assert 'type="search" name="q"' in form[1]
    assert '<button type="submit"' in form[1]  # reachable and operable by keyboard


def test_sign_in_page_has_no_search_box(client):
    assert "site-search" not in client.get("/accounts/login/").content.decode()


def test_the_header_box_keeps_the_query_on_the_search_page(signed_in):
    html = signed_in.get("/records/search/", {"q": "予算<b>"}).content.decode()

    assert 'id="site-search-q"' in html
    assert 'value="予算&lt;b&gt;"' in html
    assert "<b>" not in html.split("</header>", 1)[0]
    assert 'class="card"' in html
    assert 'aria-describedby="search-q-help"' in html
