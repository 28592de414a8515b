"""HTML views of the directory app: sign-in, the home page and placeholders of modules to come."""

from __future__ import annotations

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from directory import auth
from directory.forms import SignInForm
from directory.selectors import person_for_user, person_posts

HTTP_TOO_MANY_REQUESTS = 429


class SignInView(LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.otp_device is not None:  # marks the session as verified by its second factor
            from django_otp import login as otp_login

            otp_login(self.request, form.otp_device)
        return response


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): 429 with the lock message.

    Axes calls this as ``(request, original_response, credentials)`` or, in its async middleware,
    ``(request, credentials)``; neither is needed, the answer is the same for every username.
    """
    message = str(auth.LOCKED_OUT_MESSAGE)
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"detail": message},
            status=HTTP_TOO_MANY_REQUESTS,
            json_dumps_params={"ensure_ascii": False},  # byte-identical to DRF's rendering
        )
    typed = request.POST.get("username", "") if request.method == "POST" else ""
    context = {
        "form": SignInForm(request, initial={"username": auth.attempted_username(typed)}),
        "locked_message": message,
        REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME)
        or request.GET.get(REDIRECT_FIELD_NAME, ""),
    }
    return render(request, "registration/login.html", context, status=HTTP_TOO_MANY_REQUESTS)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = person_for_user(self.request.user)
        context["posts"] = person_posts(person) if person else []
        return context


# Modules that are not built yet; each replaces its entry in config/urls.py when it lands.
MODULES = {
    "approval": (_("Approval"), _("Draft proposals and approve them along their route.")),
    "records": (_("Records"), _("File, find and keep official records.")),
    "chat": (_("Chat"), _("Talk with colleagues in your unit and beyond.")),
    "council": (_("Council"), _("Meetings and materials of the city council.")),
    "audit": (_("Audit"), _("Check the audit log of every change and sign-in.")),
}


class ModulePlaceholderView(LoginRequiredMixin, TemplateView):
    """A page that says the module is in preparation (準備中)."""

    template_name = "placeholder.html"
    module = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        title, description = MODULES[self.module]
        context.update(module=self.module, title=title, description=description)
        return context
