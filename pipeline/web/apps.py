"""The Django app: its models (the user profile), templates, static files and the audit signals."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hudang.pipeline.web"
    label = "web"
    verbose_name = "户档网页"

    def ready(self) -> None:
        from hudang.pipeline.web import signals  # noqa: F401  (connects the login/logout audit)
