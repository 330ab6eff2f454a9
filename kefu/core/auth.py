"""Bearer-token authentication for the API (tokens stored hashed)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from .models import ApiToken


def user_for_token(key: str):
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute so reads stay read-only.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(Q(pk=token.pk)).update(last_used_at=now)
    return token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def issue_token(user, name: str = "") -> str:
    """Create a token for ``user`` and return its clear text (shown once)."""
    key = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name=name, prefix=key[3 : 3 + ApiToken.PREFIX_LEN], key_hash=ApiToken.hash(key)
    )
    return key
