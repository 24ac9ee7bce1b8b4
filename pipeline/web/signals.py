"""Every login, logout and failed login goes to the home's audit log, with the user name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from hudang.pipeline.web.access import open_session


def _client(request: Any) -> str:
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "")) if request is not None else ""


@receiver(user_logged_in)
def _login(sender: Any, request: Any, user: Any, **_: Any) -> None:
    with open_session(user.username) as session:
        session.audit("web_login", client=_client(request))


@receiver(user_logged_out)
def _logout(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None:
        with open_session(user.username) as session:
            session.audit("web_logout", client=_client(request))


@receiver(user_login_failed)
def _failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    name = str(credentials.get("username") or "")[:150]
    with open_session(name or "?") as session:
        session.audit("web_login_failed", username=name, client=_client(request))
