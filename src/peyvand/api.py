"""The HTTP API: django-ninja under /api/, bearer tokens, one error shape for everything.

Errors answer ``{"error": {"code", "message", "fields"}}`` in the caller's language
(Accept-Language, else the user's chosen language).
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer

from peyvand.accounts.services import authenticate_token
from peyvand.core.errors import PossibleDuplicateError, StaleVersionError


class PreconditionFailed(StaleVersionError):
    """The version named in ``If-Match`` is not the current one."""


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_token(token)
        if user is None:
            return None
        request.user = user
        if "HTTP_ACCEPT_LANGUAGE" not in request.META:
            translation.activate(user.language)
        return user


api = NinjaAPI(
    title="Peyvand API",
    version="1",
    description="CRM for Persian-speaking businesses. "
    "Authenticate with `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "fields": fields or {}}},
        status=status,
    )


def _schema_fields(exc: SchemaValidationError) -> dict:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [
            str(part)
            for part in item.get("loc", ())
            if part not in ("body", "payload", "query", "path")
        ]
        fields.setdefault(".".join(loc) or "body", []).append(
            _("This value is not valid.") + f" ({item.get('msg', '')})"
        )
    return fields


@api.exception_handler(SchemaValidationError)
def on_schema_error(request, exc):
    return error(
        request, 422, "validation_error", _("Some fields are not valid."), _schema_fields(exc)
    )


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error(request, 403, "forbidden", str(exc) or _("You may not do this."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", _("A valid API token is required."))


@api.exception_handler(StaleVersionError)
def on_stale(request, exc):
    status = 412 if isinstance(exc, PreconditionFailed) else 409
    return error(
        request, status, "version_conflict", exc.message, {"version": [str(exc.current_version)]}
    )


@api.exception_handler(PossibleDuplicateError)
def on_possible_duplicate(request, exc):
    body = {
        "error": {
            "code": "possible_duplicate",
            "message": str(exc.message),
            "fields": {},
            "candidates": exc.candidates,
        }
    }
    return api.create_response(request, body, status=409)


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    return error(request, 413, "too_large", _("The request body is too large."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error(request, exc.status_code, "error", str(exc))


def _register_routers():
    from peyvand.accounts.api import router as accounts_router
    from peyvand.activities.api import router as activities_router
    from peyvand.customers.api import router as customers_router
    from peyvand.sales import catalog_api, deal_api, lead_api, order_api, quote_api, report_api
    from peyvand.transfers.api import router as transfers_router
    from peyvand.transfers.export_api import router as exports_router

    api.add_router("/v1/", accounts_router)
    api.add_router("/v1/", customers_router)
    api.add_router("/v1/", activities_router)
    api.add_router("/v1/", transfers_router)
    api.add_router("/v1/", exports_router)
    for sales_api in (lead_api, deal_api, catalog_api, quote_api, order_api, report_api):
        api.add_router("/v1/", sales_api.router)


def if_match_version(request) -> int | None:
    """The version an ``If-Match: "3"`` header names, or None when absent."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise HttpError(400, _('If-Match must name a version, e.g. "3".'))
    return int(value)


def check_if_match(request, obj) -> None:
    """Answer 412 when the client edits a version other than the current one."""
    version = if_match_version(request)
    if version is not None and version != obj.version:
        raise PreconditionFailed(obj.version)


def with_etag(response, obj):
    response["ETag"] = f'"{obj.version}"'
    return response


_register_routers()
