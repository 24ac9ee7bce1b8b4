"""A web user beside Django's auth User: roles, estate limits, the API token's hash."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models

from hudang.pipeline.app.roles import Principal


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    roles = models.JSONField(default=list)
    """Role names from pipeline/app/roles.py ROLES."""
    estates = models.JSONField(default=list)
    """Canonical estate names the user is limited to; empty: every estate."""
    token_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    """SHA-256 of the API token (the token itself is shown once and never stored)."""

    def principal(self) -> Principal:
        return Principal(self.user.username, tuple(self.roles), tuple(self.estates))
