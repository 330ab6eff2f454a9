"""Bearer-token authentication for the API (tokens stored hashed).

Each process keeps the users of the tokens it saw for ``CACHE_SECONDS``, so a
client that sends many requests (an intake robot, a report script) costs no
token query per request. A token revoked or a user deactivated here is
forgotten at once (signals); in the other server processes within
``CACHE_SECONDS``.
"""

from __future__ import annotations

import copy
import threading
import time

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from . import access
from .models import ApiToken

CACHE_SECONDS = 10
_CACHE_MAX = 1000
_users: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


def user_for_token(key: str):
    key_hash = ApiToken.hash(key)
    hit = _users.get(key_hash)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        # Each request gets its own copy: what a request caches on its user stays with it.
        return copy.copy(hit[1])
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        _users.pop(key_hash, None)
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute so reads stay read-only.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(Q(pk=token.pk)).update(last_used_at=now)
    # Read the memberships once with the user: every copy handed out carries them (a membership
    # change clears this cache, see ``forget``), so a request asks no second query for them.
    access.memberships(token.user)
    with _lock:
        if len(_users) >= _CACHE_MAX:
            _users.clear()
        _users[key_hash] = (time.monotonic(), token.user)
    return copy.copy(token.user)


def forget(**_) -> None:
    """Forget this process's token users (a token or a user was saved or deleted)."""
    with _lock:
        _users.clear()


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
