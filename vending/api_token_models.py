"""REST API tokens: only a digest of each secret is kept (vending/web/tokens.py)."""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone

from vending.roles import User


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def visible_to(self, user: User) -> Self:
        """A person's own tokens: admins revoke others' in the Django admin, not here."""
        return self.filter(user_id=user.pk) if user.is_authenticated and user.pk else self.none()


class ApiToken(models.Model):
    """A named, expiring REST API token. Only the SHA-256 digest of its secret is kept,
    and the 8 characters after the secret's marker (`prefix`: finds the row, tells tokens
    apart), so a database reader cannot use it. A revoked token stays, with by whom."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)  # written once a minute at most
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        """ "revoked", "expired" or "active" (only an active token authenticates)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"
