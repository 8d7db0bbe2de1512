"""``Idempotency-Key`` on API POSTs: a retried request gets the first answer and changes nothing.

The first request with a key claims it (a unique row) before running; a replay with the
same body returns the stored response; the same key with another body, or while the
first is still running, is refused.
"""

import hashlib

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .models import IdempotentResponse

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def _error(status, code, message):
    return JsonResponse(
        {"error": {"code": code, "message": str(message), "fields": {}}}, status=status
    )


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255:
            return _error(400, "bad_idempotency_key", _("The Idempotency-Key header is too long."))
        scope = hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()
        try:
            body = request.body
        except RequestDataTooBig:
            return _error(413, "too_large", _("The request body is too large."))
        body_hash = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotentResponse.objects.create(
                    scope=scope, key=key, request_hash=body_hash
                )
        except IntegrityError:
            return self._replay(scope, key, body_hash)
        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in (401, 409, 412, 429):
            record.delete()  # not a final answer: let the client retry
            return response
        record.status = response.status_code
        record.body = response.content
        record.headers = {
            k: v for k, v in response.items() if k in ("Content-Type", "ETag", "Location")
        }
        record.save(update_fields=["status", "body", "headers"])
        return response

    def _replay(self, scope, key, body_hash):
        record = IdempotentResponse.objects.get(scope=scope, key=key)
        if record.request_hash != body_hash:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request."),
            )
        if record.status is None:
            return _error(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still running."),
            )
        response = HttpResponse(bytes(record.body), status=record.status)
        for name, value in record.headers.items():
            response[name] = value
        response[REPLAYED_HEADER] = "true"
        return response
