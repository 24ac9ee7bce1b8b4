"""The WSGI application gunicorn runs: Django set up for the home in $HUDANG_HOME (set by `hudang serve`)."""

from __future__ import annotations

from hudang.pipeline.web.conf import setup

setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after the settings are in place)

application = get_wsgi_application()
