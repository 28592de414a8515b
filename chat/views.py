"""Chat screens: one page (room list, messages, composer) driven by static/chat/chat.js over the
REST API and ``/ws/chat/``. Thin: the page carries only what the script needs to start."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat import selectors


@login_required
def chat_home(request: HttpRequest, room_id: int | None = None) -> HttpResponse:
    if room_id is not None:
        selectors.room_get_for_user(user=request.user, room_id=room_id)  # 404 if not a member
    rooms = selectors.room_list_for_user(user=request.user)
    return render(
        request,
        "chat/home.html",
        {"rooms": rooms, "room_id": room_id, "username": request.user.get_username()},
    )
