"""The Django settings module (DJANGO_SETTINGS_MODULE=hudang.pipeline.web.conf), built from one data home.

The home is ``$HUDANG_HOME`` (else ~/hudang), as the CLI resolves it; `setup(root)` points the environment at
a home and starts Django once per process. Its ``config.toml`` ``[web]`` table gives the hosts, the trusted
proxy header, the idle time-out, the upload limit and the lockout (defaults: hudang/settings.py KEYS).
DEBUG is never on. SECRET_KEY is derived from the home's own secret.key (backed up with the home).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from hudang.homes import resolve_root
from hudang.pipeline.app.users import MIN_PASSWORD
from hudang.settings import Home, WebSettings, load_home

SETTINGS_MODULE = "hudang.pipeline.web.conf"


def _secret(home_root: Path) -> str:
    """A key of its own for Django (signing sessions, CSRF), derived so that it is not the index's key."""
    key_path = home_root / "secret.key"
    base = key_path.read_text().strip().encode() if key_path.is_file() else b"no-home-yet"
    return hmac.new(base, b"hudang web SECRET_KEY", hashlib.sha256).hexdigest()


def build(root: Path) -> dict[str, Any]:
    """Every Django setting for the home at ``root`` (a home not made yet gets the defaults)."""
    home: Home | None = load_home(root) if (root / "config.toml").is_file() else None
    web = home.web if home else WebSettings()
    proxy = web.proxy_header.strip()
    return {
        "HUDANG_HOME": root,
        "DEBUG": False,
        "SECRET_KEY": _secret(root),
        "ALLOWED_HOSTS": list(web.allowed_hosts),
        "SECURE_PROXY_SSL_HEADER": ("HTTP_" + proxy.upper().replace("-", "_"), "https") if proxy else None,
        "INSTALLED_APPS": [
            "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "django.contrib.staticfiles", "axes", "hudang.pipeline.web.apps.WebConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "hudang.pipeline.web.middleware.TlsCookies",   # outside the session and CSRF middleware
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "hudang.pipeline.web.middleware.RequestSizeLimit",   # before anything reads the body
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",   # 待处理's one-line results after a POST
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.auth.middleware.LoginRequiredMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "csp.middleware.CSPMiddleware",
            "hudang.pipeline.web.middleware.HudangErrors",
            "axes.middleware.AxesMiddleware",
        ],
        "AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend",
                                    "django.contrib.auth.backends.ModelBackend"],
        "ROOT_URLCONF": "hudang.pipeline.web.urls",
        "TEMPLATES": [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                       "OPTIONS": {"context_processors": [
                           "django.template.context_processors.request",
                           "django.contrib.auth.context_processors.auth",
                           "django.contrib.messages.context_processors.messages",
                           "hudang.pipeline.web.access.nav"]}}],
        "WSGI_APPLICATION": "hudang.pipeline.web.wsgi.application",
        "DATABASES": {"default": {
            "ENGINE": "django.db.backends.sqlite3", "NAME": str(root / "web.sqlite3"),
            # gunicorn workers share the file: WAL, and writers wait their turn instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}},
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.Argon2PasswordHasher",
                             "django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
             "OPTIONS": {"min_length": MIN_PASSWORD}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LOGIN_URL": "login", "LOGIN_REDIRECT_URL": "search", "LOGOUT_REDIRECT_URL": "login",
        "LANGUAGE_CODE": "zh-hans", "LANGUAGES": [("zh-hans", "简体中文")],
        "TIME_ZONE": "Asia/Shanghai", "USE_TZ": True, "USE_I18N": True,
        # Sessions: idle ones expire (every request renews the age); cookies never read by scripts.
        "SESSION_COOKIE_AGE": web.session_idle_minutes * 60, "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True, "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_HTTPONLY": True, "CSRF_COOKIE_SAMESITE": "Lax",
        "CSRF_FAILURE_VIEW": "hudang.pipeline.web.views.errors.csrf_failure",
        "X_FRAME_OPTIONS": "DENY", "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin", "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        # The one upload limit ([web] upload_max_mb): the whole request (middleware.RequestSizeLimit) and
        # each file ingest.upload takes; a folder may hold many files.
        "HUDANG_UPLOAD_MAX_BYTES": web.upload_max_bytes,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": web.upload_max_bytes, "DATA_UPLOAD_MAX_NUMBER_FILES": 2000,
        "FILE_UPLOAD_MAX_MEMORY_SIZE": 5 * 1024 * 1024,
        "CONTENT_SECURITY_POLICY": {"DIRECTIVES": {
            "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
            "img-src": ["'self'", "data:"], "font-src": ["'self'"], "connect-src": ["'self'"],
            "frame-src": ["'self'"], "object-src": ["'self'"], "frame-ancestors": ["'self'"],
            "form-action": ["'self'"], "base-uri": ["'none'"]}},
        "MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage",
        "STATIC_URL": "/static/", "WHITENOISE_USE_FINDERS": True, "WHITENOISE_AUTOREFRESH": False,
        # Lockout per user name (an office shares one address behind its router); `users unlock` lifts it.
        "AXES_FAILURE_LIMIT": web.lockout_failures,
        "AXES_COOLOFF_TIME": (web.lockout_minutes / 60) or None,
        "AXES_LOCKOUT_PARAMETERS": ["username"], "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_TEMPLATE": "web/locked.html", "AXES_VERBOSE": False,
        "AXES_SENSITIVE_PARAMETERS": ["password"],
        # W006 asks for the address in the lock key; by user name alone no rotation of anything bypasses it.
        "SILENCED_SYSTEM_CHECKS": ["axes.W006"],
        "LOGGING": {"version": 1, "disable_existing_loggers": False,
                    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
                    # Django logs a request's path on 4xx/5xx; never its query string or body.
                    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"},
                                "axes": {"handlers": ["stderr"], "level": "WARNING"}}},
    }


def setup(root: Path | None = None) -> None:
    """Start Django in this process for the home at ``root`` (default: as the CLI resolves it). A process
    serves one home; when Django is already set up (the test run), it is left as it is."""
    from django.conf import settings

    if settings.configured:
        return
    chosen = root or resolve_root(None)
    os.environ["HUDANG_HOME"] = str(chosen)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # This module was imported (and its settings built from $HUDANG_HOME) before `hudang --home X` got here:
    # build them again for the home asked for, or users and sessions would land in the default home.
    globals().update(build(chosen))
    import django

    django.setup()


def migrate() -> None:
    """Create or bring up to date ``<home>/web.sqlite3`` (idempotent; quick when nothing is to do)."""
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


globals().update(build(resolve_root(None)))
