"""Web users (`hudang users …`): add, list, disable, unlock, set a password, issue an API token.

Users live in ``<home>/web.sqlite3`` through Django's auth (Argon2 hashes) and the web's Profile (roles,
estate limits, token hash); the file is created or brought up to date on first use. Every change is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from hudang.errors import NotFound, UsageError
from hudang.pipeline.app.roles import ROLES, Principal
from hudang.pipeline.app.session import Session


def _django(session: Session) -> None:
    """Django started on this home and its web.sqlite3 migrated (idempotent)."""
    from hudang.pipeline.web import conf

    conf.setup(session.home.root)
    conf.migrate()


MIN_PASSWORD = 8
"""The one password-length rule (the web's settings give it to Django's validator)."""


def token_digest(token: str) -> str:
    """What is stored of an API token: its SHA-256 (a token is 32 random bytes, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserInfo:
    name: str
    roles: tuple[str, ...]
    estates: tuple[str, ...]
    active: bool
    locked: bool
    has_token: bool
    last_login: str | None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "roles": list(self.roles), "estates": list(self.estates), "active": self.active,
                "locked": self.locked, "has_token": self.has_token, "last_login": self.last_login}


@dataclass(frozen=True)
class Users:
    users: tuple[UserInfo, ...]

    def as_json(self) -> dict[str, Any]:
        return {"users": [u.as_json() for u in self.users]}


@dataclass(frozen=True)
class Token:
    name: str
    token: str
    """Shown once; only its hash is kept."""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "token": self.token}


def _check_roles(roles: list[str]) -> tuple[str, ...]:
    if not roles:
        raise UsageError("至少要指定一个角色（--role）：" + "、".join(ROLES), code="no_role")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UsageError(f"未知的角色“{'、'.join(unknown)}”；可用角色：{'、'.join(ROLES)}", code="unknown_role")
    return tuple(dict.fromkeys(roles))


def _check_password(password: str, user: Any = None) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            # Django's zh-hans catalogue lacks its newest wording of the length rule: said here instead.
            told = [f"太短，至少 {MIN_PASSWORD} 个字符" if e.code == "password_too_short" else str(e.messages[0])
                    for e in exc.error_list]
            raise UsageError("密码不符合要求：" + "；".join(told), code="weak_password") from None


def _user(name: str) -> Any:
    from django.contrib.auth.models import User

    try:
        return User.objects.select_related("profile").get(username=name)
    except User.DoesNotExist:
        raise NotFound(f"没有用户“{name}”（hudang users list 查看）", code="no_user") from None


def _info(user: Any) -> UserInfo:
    from axes.models import AccessAttempt

    profile = getattr(user, "profile", None)
    locked = AccessAttempt.objects.filter(username=user.username).exists() and _locked(user.username)
    return UserInfo(user.username, tuple(profile.roles if profile else ()), tuple(profile.estates if profile else ()),
                    user.is_active, locked, bool(profile and profile.token_hash),
                    user.last_login.isoformat(timespec="minutes") if user.last_login else None)


def _locked(name: str) -> bool:
    from axes.helpers import get_failure_limit
    from axes.models import AccessAttempt
    from django.db.models import Sum

    failures = AccessAttempt.objects.filter(username=name).aggregate(n=Sum("failures_since_start"))["n"] or 0
    return int(failures) >= int(get_failure_limit(None, {"username": name}))


def add(session: Session, name: str, roles: list[str], estates: list[str], password: str) -> UserInfo:
    """A new web user with roles and (optionally) the estates they are limited to."""
    _django(session)
    from django.contrib.auth.models import User
    from django.db import transaction

    from hudang.pipeline.web.models import Profile

    name = name.strip()
    if not name or len(name) > 150 or any(c.isspace() for c in name):
        raise UsageError(f"用户名“{name}”无效：不能为空、不能含空格、最长 150 个字符", code="bad_user_name")
    chosen = _check_roles(roles)
    limits = tuple(dict.fromkeys(str(session.estate(e)) for e in estates))
    if User.objects.filter(username=name).exists():
        raise UsageError(f"用户“{name}”已存在（修改密码用 hudang users password）", code="user_exists")
    _check_password(password, User(username=name))
    with transaction.atomic():
        user = User.objects.create_user(name, password=password)
        Profile.objects.create(user=user, roles=list(chosen), estates=list(limits))
    session.audit("user_add", name=name, roles=list(chosen), estates=list(limits))
    return _info(_user(name))


def list_users(session: Session) -> Users:
    _django(session)
    from django.contrib.auth.models import User

    return Users(tuple(_info(u) for u in User.objects.select_related("profile").order_by("username")))


def disable(session: Session, name: str) -> UserInfo:
    """A disabled user cannot log in and their API token stops working; their audit trail stays."""
    _django(session)
    from django.contrib.sessions.models import Session as WebSession

    user = _user(name)
    user.is_active = False
    user.save(update_fields=["is_active"])
    for s in WebSession.objects.all():   # log them out everywhere
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk):
            s.delete()
    session.audit("user_disable", name=name)
    return _info(user)


def unlock(session: Session, name: str) -> UserInfo:
    """Lift a lockout after failed logins at once (it also lifts itself after [web] lockout_minutes)."""
    _django(session)
    from axes.utils import reset

    user = _user(name)
    reset(username=name)
    session.audit("user_unlock", name=name)
    return _info(user)


def set_password(session: Session, name: str, password: str) -> UserInfo:
    _django(session)
    user = _user(name)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    session.audit("user_password", name=name)
    return _info(user)


def token(session: Session, name: str) -> Token:
    """A new API token for ``name`` (any earlier one stops working); only its hash is stored."""
    _django(session)
    from hudang.pipeline.web.models import Profile

    user = _user(name)
    made = secrets.token_urlsafe(32)
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.token_hash = token_digest(made)
    profile.save(update_fields=["token_hash"])
    session.audit("user_token", name=name)
    return Token(name, made)


def by_token(made: str) -> Principal | None:
    """The active user an API token belongs to (for the API's authentication), else None."""
    from hudang.pipeline.web.models import Profile

    if not made:
        return None
    profile = Profile.objects.select_related("user").filter(token_hash=token_digest(made),
                                                            user__is_active=True).first()
    return profile.principal() if profile else None
