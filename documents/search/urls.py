"""Search routes, mounted at the project root: the API and the page."""

from django.urls import path

from documents.search.api import SearchApi
from documents.search.views import SearchPageView

app_name = "search"

urlpatterns = [
    path("api/v1/search/", SearchApi.as_view(), name="api"),
    path("records/search/", SearchPageView.as_view(), name="page"),
]
