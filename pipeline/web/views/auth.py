"""登录 / 退出 (Django's own views; the audit entries come from web/signals.py)."""

from __future__ import annotations

from django.contrib.auth import views
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST


class Login(views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    return views.LogoutView.as_view()(request)
