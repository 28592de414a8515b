"""HTML views of the directory app (sign-in pages). Placeholder until the UI lands."""

from django.http import HttpResponse


def locked_out(request, credentials=None, *args, **kwargs):
    return HttpResponse(status=429)
