"""State changes of the core app: API tokens."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .auth import issue_token
from .errors import NotFound
from .models import ApiToken


@transaction.atomic
def create_token(user, *, name: str = "", by=None) -> str:
    key = issue_token(user, name=name)
    audit.record(
        user,
        "token_created",
        by=by or user,
        object_type="user",
        object_id=user.get_username(),
        data={"name": name, "prefix": key[3 : 3 + ApiToken.PREFIX_LEN]},
    )
    return key


@transaction.atomic
def revoke_token(user, token_id: int, *, by=None) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("no such token"), field="token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            user,
            "token_revoked",
            by=by or user,
            object_type="user",
            object_id=user.get_username(),
            data={"prefix": token.prefix},
        )
    return token
