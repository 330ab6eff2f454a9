"""Public API v1 (SPEC section 3): one NinjaAPI, one router per domain app."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from kefu.core.auth import BearerAuth
from kefu.core.errors import KefuError
from kefu.flow.validation import error_message

api = NinjaAPI(
    title="kefu API",
    version="1",
    description="Customer-service and quality-management system. Authenticate with `Authorization: Bearer <token>` "
    '(`kefu token USERNAME` prints one). Errors are 4xx with `{"detail": ..., "field": ..., "errors": [...]}` '
    "naming the field and the rule: 400 malformed input (not the declared type, enum, length or range, an "
    "unknown field, NUL or invalid Unicode in a text), 401 no valid token, 403 not allowed for the caller, "
    "404 no such record, 409 not in the record's current state, 422 a business rule refuses well-formed "
    "input. Dates are `YYYY-MM-DD` between 2000-01-01 and 2099-12-31; date-times are RFC 3339 (a naive one "
    "sent is Asia/Shanghai; answers are in Asia/Shanghai, +08:00). See docs/api.md.",
    auth=BearerAuth(),
    urls_namespace="api-v1",
)


def _loc(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload", "data")]
    return ".".join(parts) or "body"


def _message(error: dict) -> str:
    if error.get("type") == "extra_forbidden":
        return _("unknown field")
    return error_message(error)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """What the schema refuses (type, enum, length, range, unknown field, text) is malformed: 400."""
    errors = [{"field": _loc(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    body = {"detail": detail, "field": errors[0]["field"] if errors else None, "errors": errors}
    return api.create_response(request, body, status=400)


@api.exception_handler(KefuError)
def kefu_error(request, exc: KefuError):
    body = {"detail": exc.detail}
    if exc.field:
        body["field"] = exc.field
    body.update(exc.extra)
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(
        request, {"detail": "authentication required: Authorization: Bearer <token>"}, status=401
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


def _register_routers() -> None:
    from kefu.capa.api import router as capa_router
    from kefu.complaints.api import router as complaints_router
    from kefu.core.api import router as core_router
    from kefu.customers.api import router as customers_router
    from kefu.flow.api import router as work_router
    from kefu.surveys.api import router as surveys_router

    api.add_router("/calendar", core_router)
    api.add_router("/customers", customers_router)
    api.add_router("/complaints", complaints_router)  # with /{number}/actions of the case engine
    api.add_router("/capa", capa_router)  # corrective actions (8D), with /{number}/actions
    api.add_router("/surveys", surveys_router)  # customer satisfaction, rounds with /{number}/actions
    api.add_router("", work_router)  # /work, /reminders, /lateness-inquiries of every record type


_register_routers()
