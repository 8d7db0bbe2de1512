"""Every API endpoint × every role × a record of the caller's team and of another team.

The endpoint list comes from the registered routes (the OpenAPI paths): an endpoint
added without an entry in MATRIX fails ``test_every_endpoint_is_in_the_matrix``.

Rules checked: a record of another team does not exist for the caller (404, absent
from lists, search and report figures, unusable as a reference); viewers get 403 on every
write; admin-only and managers-only endpoints answer 403 to everyone else; a refused call
changes nothing.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from PIL import Image

from peyvand.accounts.services import create_token
from peyvand.activities.models import Activity
from peyvand.api import api
from peyvand.core.models import OutboxMessage
from peyvand.customers import services as customers
from peyvand.customers.merge import merge_people
from peyvand.customers.models import DuplicatePair, Person
from peyvand.sales import cadences, catalog, deals, orders
from peyvand.sales.models import (
    Cadence,
    Competitor,
    Deal,
    Lead,
    LostReason,
    Order,
    OrderReturn,
    Payment,
    Pipeline,
    Product,
    ProductCategory,
    Quote,
    SalesTarget,
    Stage,
    TaxRule,
)
from peyvand.transfers.exports import start_export
from peyvand.transfers.models import ImportJob

from .conftest import PHONES, ROLES, TEAM_WORDS

WRITERS = ("admin", "manager", "agent", "other_agent")


@dataclass(frozen=True)
class Case:
    """How to call one endpoint and what each role must get.

    kind:
      record      a record of team A or B (or one of its parts) in the path: invisible → 404
                  and nothing of it in the answer, viewer write → 403
      list        200 for all; lists the caller's team's record, never the other team's, and
                  its search (``q``) finds them the same way
      report      200 for all; ``figure`` of the answer adds up the amounts of exactly the
                  records the caller may see (both teams' won deals, or both teams' targets)
      export      200 for all; the file has the caller's team's record, never the other team's
      export_job  a job for all (202); its file has the caller's team's record only
      own         the caller's own export job succeeds; another user's job answers 404
      reference   the body names a record of team A or B: invisible → 422, viewer → 403
      create      viewer → 403, others succeed
      any         everyone succeeds (reads of shared data, the caller's own account)
      admin       admin succeeds, everyone else 403
      managers    admin and manager succeed, agents and viewers 403
      job         an import job in the path: the caller's own succeeds (a viewer's write
                  → 403); another user's → 404, except for an administrator
    """

    kind: str
    ok: int = 200
    resource: str | None = None
    write: bool = False
    # (world, record) → body for "record" and "reference" cases, else (world) → body
    body: Callable | None = None
    # The path's ids: one for {id}, or a dict such as {"id": …, "stage_id": …}. Made by
    # (world, record) for "record" cases (default: the record's id), else (world, caller).
    target: Callable | None = None
    before: Callable | None = None  # (world, record) → prepare the record (e.g. trash it)
    upload: Callable | None = None  # (world) → the fields of a multipart file upload
    creates: type | None = None  # the model a call adds a row to: a refused call adds none
    figure: Callable | None = None  # "report": (the answer's JSON) → the caller's total


def _owner(world, record):
    return world.owner("A" if record.team_id == world.team_a.pk else "B")


def _trash(world, record):
    if isinstance(record, Activity):
        from peyvand.activities.services import trash_activity

        trash_activity(_owner(world, record), record)
    else:
        customers.trash(_owner(world, record), record)


def _win(world, deal):
    deals.win_deal(_owner(world, deal), deal)


def _deliver(world, order):
    orders.set_status(_owner(world, order), order, "delivered")


def _pending_cheque(world, order):
    """A cheque towards the order, not yet cashed: the payment in the path."""
    cheque = {
        "method": "cheque",
        "amount": 500_000,
        "due_on": "1405/07/01",
        "reference": "123456",
        "bank": "ملت",
    }
    return orders.add_payment(_owner(world, order), order, cheque).pk


def _own_token(world, caller):
    return create_token(caller, "to revoke")[0].pk


def _export_job(world, user):
    with TestCase.captureOnCommitCallbacks(execute=True):  # hands the job to the worker
        return start_export(user, "person", "csv", [], {}).pk


def _twin(record):
    """A second record of the same person, in the same team and with the same owner."""
    return customers.create_person(
        record.owner,
        {"first_name": record.first_name, "last_name": record.last_name, "phones": ["09121112233"]},
        allow_duplicate=True,
    )


def _callers_team(world, caller) -> str:
    return "B" if caller == world.users["other_agent"] else "A"


def _callers_person(world, caller):
    return world.person[_callers_team(world, caller)]


def _callers_pair(world, caller):
    person = _callers_person(world, caller)
    return DuplicatePair.objects.create(
        person_a=person, person_b=_twin(person), score=0.9, reasons=["name"]
    ).pk


def _callers_merge(world, caller):
    person = _callers_person(world, caller)
    return merge_people(person.owner, person, _twin(person)).pk


def _callers_target(world, caller):
    """The sales target of the caller's own team: visible to them, so only rights decide."""
    return world.sales_target[_callers_team(world, caller)].pk


def _people_csv(world):
    return {"file": SimpleUploadedFile("people.csv", "نام خانوادگی\nکریمی\n".encode())}


def _png(world):
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, "PNG")
    return {"image": SimpleUploadedFile("photo.png", buffer.getvalue(), "image/png")}


# Shared sales settings: the rows the migration made, or new ones made by an administrator.


def _pipeline(world, caller):
    return deals.default_pipeline().pk


def _last_stage(world, caller):
    pipeline = deals.default_pipeline()
    return {"id": pipeline.pk, "stage_id": deals.active_stages(pipeline).last().pk}


def _lost_reason():
    return deals.lost_reasons(active_only=True).first().pk


def _new_product(world, caller):
    data = {"code": "P-1", "name": "کالای نمونه", "price": 1_000_000}
    return catalog.create_product(world.users["admin"], data).pk


CADENCE = {
    "name": "پس از تحویل",
    "trigger": "order_delivered",
    "steps": [{"after_days": 3, "subject": "تماس رضایت‌سنجی"}],
}


def _new_cadence(world, caller):
    return cadences.create_cadence(world.users["admin"], CADENCE).pk


def _document(world, record):
    """A quote or an order for the person ``record``, with one free-text line."""
    line = {"description": "خدمات", "quantity": "1", "unit_price": 1_000_000}
    return {"person": record.pk, "lines": [line]}


MATRIX = {
    # customers
    ("GET", "/api/v1/persons"): Case("list", resource="person"),
    ("POST", "/api/v1/persons"): Case(
        "reference",
        ok=201,
        resource="organization",
        creates=Person,
        body=lambda w, rec: {"last_name": "تازه", "organizations": [rec.pk]},
    ),
    ("GET", "/api/v1/persons/export"): Case("export", resource="person"),
    ("GET", "/api/v1/persons/{id}"): Case("record", resource="person"),
    ("PATCH", "/api/v1/persons/{id}"): Case(
        "record", resource="person", write=True, body=lambda w, rec: {"first_name": "تغییر"}
    ),
    ("DELETE", "/api/v1/persons/{id}"): Case("record", ok=204, resource="person", write=True),
    ("POST", "/api/v1/persons/{id}/restore"): Case(
        "record", resource="person", write=True, before=_trash
    ),
    ("GET", "/api/v1/organizations"): Case("list", resource="organization"),
    ("POST", "/api/v1/organizations"): Case("create", ok=201, body=lambda w: {"name": "تازه"}),
    ("GET", "/api/v1/organizations/export"): Case("export", resource="organization"),
    ("GET", "/api/v1/organizations/{id}"): Case("record", resource="organization"),
    ("PATCH", "/api/v1/organizations/{id}"): Case(
        "record", resource="organization", write=True, body=lambda w, rec: {"industry": "نساجی"}
    ),
    ("DELETE", "/api/v1/organizations/{id}"): Case(
        "record", ok=204, resource="organization", write=True
    ),
    ("POST", "/api/v1/organizations/{id}/restore"): Case(
        "record", resource="organization", write=True, before=_trash
    ),
    # duplicates and merges
    ("POST", "/api/v1/persons/{id}/merge"): Case(
        "record", resource="person", write=True, body=lambda w, rec: {"other": _twin(rec).pk}
    ),
    ("POST", "/api/v1/merges/{id}/undo"): Case("create", target=_callers_merge),
    ("GET", "/api/v1/duplicates"): Case("any"),
    ("POST", "/api/v1/duplicates/{id}/dismiss"): Case("create", target=_callers_pair),
    ("POST", "/api/v1/duplicates/scan"): Case("managers", ok=202),
    # export jobs: a user's own only
    ("POST", "/api/v1/exports"): Case("export_job", ok=202, resource="person"),
    ("GET", "/api/v1/exports"): Case("any"),
    ("GET", "/api/v1/exports/{id}"): Case("own", target=_export_job),
    ("GET", "/api/v1/exports/{id}/download"): Case("own", target=_export_job),
    # activities
    ("GET", "/api/v1/activities"): Case("list", resource="activity"),
    ("POST", "/api/v1/activities"): Case(
        "reference",
        ok=201,
        resource="person",
        creates=Activity,
        body=lambda w, rec: {"kind": "note", "subject": "یادداشت", "person": rec.pk},
    ),
    ("GET", "/api/v1/activities/{id}"): Case("record", resource="activity"),
    ("PATCH", "/api/v1/activities/{id}"): Case(
        "record", resource="activity", write=True, body=lambda w, rec: {"subject": "تغییر"}
    ),
    ("DELETE", "/api/v1/activities/{id}"): Case("record", ok=204, resource="activity", write=True),
    ("POST", "/api/v1/activities/{id}/restore"): Case(
        "record", resource="activity", write=True, before=_trash
    ),
    ("POST", "/api/v1/activities/{id}/complete"): Case("record", resource="activity", write=True),
    # tags and custom fields
    ("GET", "/api/v1/tags"): Case("any"),
    ("POST", "/api/v1/tags"): Case("create", ok=201, body=lambda w: {"name": "تازه"}),
    ("PATCH", "/api/v1/tags/{id}"): Case(
        "create", body=lambda w: {"color": "#112233"}, target=lambda w, u: w.tag.pk
    ),
    ("DELETE", "/api/v1/tags/{id}"): Case("managers", ok=204, target=lambda w, u: w.tag.pk),
    ("GET", "/api/v1/custom-fields"): Case("any"),
    ("POST", "/api/v1/custom-fields"): Case(
        "admin",
        ok=201,
        body=lambda w: {"entity": "person", "key": "vip", "label": "VIP", "field_type": "boolean"},
    ),
    ("PATCH", "/api/v1/custom-fields/{id}"): Case(
        "admin", body=lambda w: {"label": "رده"}, target=lambda w, u: w.custom_field.pk
    ),
    # imports
    ("GET", "/api/v1/imports"): Case("any"),
    ("POST", "/api/v1/imports"): Case("create", ok=201, creates=ImportJob, upload=_people_csv),
    ("GET", "/api/v1/imports/targets"): Case("any"),
    ("GET", "/api/v1/imports/presets"): Case("any"),
    ("GET", "/api/v1/imports/{id}"): Case("job"),
    # A preview validates rows as an import would: a writer's step.
    ("GET", "/api/v1/imports/{id}/preview"): Case("job", write=True),
    ("GET", "/api/v1/imports/{id}/report"): Case("job"),
    ("PUT", "/api/v1/imports/{id}/mapping"): Case(
        "job", write=True, body=lambda w: {"columns": ["last_name", "phone_mobile"]}
    ),
    ("POST", "/api/v1/imports/{id}/start"): Case("job", ok=202, write=True),
    ("POST", "/api/v1/imports/{id}/cancel"): Case(
        "job", write=True, before=lambda job: _set_status(job, "queued")
    ),
    ("POST", "/api/v1/imports/{id}/undo"): Case(
        "job", ok=202, write=True, before=lambda job: _set_status(job, "done")
    ),
    # the caller's own account and tokens
    ("GET", "/api/v1/me"): Case("any"),
    ("PATCH", "/api/v1/me"): Case("any", body=lambda w: {"language": "en"}),
    ("GET", "/api/v1/tokens"): Case("any"),
    ("POST", "/api/v1/tokens"): Case("any", ok=201, body=lambda w: {"name": "cli"}),
    ("DELETE", "/api/v1/tokens/{id}"): Case("any", ok=204, target=_own_token),
    # users and teams
    ("GET", "/api/v1/users"): Case("admin"),
    ("POST", "/api/v1/users"): Case(
        "admin",
        ok=201,
        body=lambda w: {"email": "new@example.com", "password": "a-Strong-passw0rd!"},
    ),
    ("GET", "/api/v1/users/{id}"): Case("admin", target=lambda w, u: w.target_user.pk),
    ("PATCH", "/api/v1/users/{id}"): Case(
        "admin", body=lambda w: {"full_name": "تازه"}, target=lambda w, u: w.target_user.pk
    ),
    ("GET", "/api/v1/teams"): Case("admin"),
    ("POST", "/api/v1/teams"): Case("admin", ok=201, body=lambda w: {"name": "تیم ج"}),
    ("GET", "/api/v1/teams/{id}"): Case("admin", target=lambda w, u: w.team_b.pk),
    ("PATCH", "/api/v1/teams/{id}"): Case(
        "admin", body=lambda w: {"name": "تیم د"}, target=lambda w, u: w.team_b.pk
    ),
    # leads
    ("GET", "/api/v1/leads"): Case("list", resource="lead"),
    ("POST", "/api/v1/leads"): Case(
        "create", ok=201, creates=Lead, body=lambda w: {"last_name": "تازه"}
    ),
    ("GET", "/api/v1/leads/{id}"): Case("record", resource="lead"),
    ("PATCH", "/api/v1/leads/{id}"): Case(
        "record", resource="lead", write=True, body=lambda w, rec: {"first_name": "تغییر"}
    ),
    ("DELETE", "/api/v1/leads/{id}"): Case("record", ok=204, resource="lead", write=True),
    ("POST", "/api/v1/leads/{id}/restore"): Case(
        "record", resource="lead", write=True, before=_trash
    ),
    ("POST", "/api/v1/leads/{id}/convert"): Case(
        "record", resource="lead", write=True, creates=Deal, body=lambda w, rec: {}
    ),
    ("POST", "/api/v1/leads/{id}/disqualify"): Case(
        "record", resource="lead", write=True, body=lambda w, rec: {"reason": "بی‌پاسخ"}
    ),
    ("GET", "/api/v1/leads/score-model"): Case("any"),
    ("POST", "/api/v1/leads/score-model/train"): Case("managers"),
    # pipelines, stages, lost reasons, competitors and cadences: shared sales settings
    ("GET", "/api/v1/pipelines"): Case("any"),
    ("POST", "/api/v1/pipelines"): Case(
        "managers",
        ok=201,
        creates=Pipeline,
        body=lambda w: {"name": "قیف دوم", "stages": [{"name": "تماس اول", "probability": 20}]},
    ),
    ("GET", "/api/v1/pipelines/{id}"): Case("any", target=_pipeline),
    ("PATCH", "/api/v1/pipelines/{id}"): Case(
        "managers", target=_pipeline, body=lambda w: {"name": "فروش داخلی"}
    ),
    ("POST", "/api/v1/pipelines/{id}/stages"): Case(
        "managers",
        ok=201,
        creates=Stage,
        target=_pipeline,
        body=lambda w: {"name": "قرارداد", "probability": 90},
    ),
    ("PATCH", "/api/v1/pipelines/{id}/stages/{stage_id}"): Case(
        "managers", target=_last_stage, body=lambda w: {"probability": 80}
    ),
    ("DELETE", "/api/v1/pipelines/{id}/stages/{stage_id}"): Case(
        "managers", ok=204, target=_last_stage
    ),
    ("GET", "/api/v1/lost-reasons"): Case("any"),
    ("POST", "/api/v1/lost-reasons"): Case(
        "managers", ok=201, creates=LostReason, body=lambda w: {"name": "بودجه ناکافی"}
    ),
    ("PATCH", "/api/v1/lost-reasons/{id}"): Case(
        "managers", target=lambda w, u: _lost_reason(), body=lambda w: {"position": 9}
    ),
    # Competitors are a managed list too (deals.require_settings_writer), not free for agents.
    ("GET", "/api/v1/competitors"): Case("any"),
    ("POST", "/api/v1/competitors"): Case(
        "managers", ok=201, creates=Competitor, body=lambda w: {"name": "رقیب تازه"}
    ),
    ("PATCH", "/api/v1/competitors/{id}"): Case(
        "managers",
        target=lambda w, u: Competitor.objects.create(name="رقیب").pk,
        body=lambda w: {"website": "https://example.com"},
    ),
    ("GET", "/api/v1/cadences"): Case("any"),
    ("POST", "/api/v1/cadences"): Case("managers", ok=201, creates=Cadence, body=lambda w: CADENCE),
    ("GET", "/api/v1/cadences/{id}"): Case("any", target=_new_cadence),
    ("PATCH", "/api/v1/cadences/{id}"): Case(
        "managers", target=_new_cadence, body=lambda w: {"is_active": False}
    ),
    ("DELETE", "/api/v1/cadences/{id}"): Case("managers", ok=204, target=_new_cadence),
    # deals
    ("GET", "/api/v1/deals"): Case("list", resource="deal"),
    ("POST", "/api/v1/deals"): Case(
        "reference",
        ok=201,
        resource="person",
        creates=Deal,
        body=lambda w, rec: {"title": "فرصت تازه", "person": rec.pk},
    ),
    ("GET", "/api/v1/deals/{id}"): Case("record", resource="deal"),
    ("PATCH", "/api/v1/deals/{id}"): Case(
        "record", resource="deal", write=True, body=lambda w, rec: {"title": "فرصت تغییر"}
    ),
    ("DELETE", "/api/v1/deals/{id}"): Case("record", ok=204, resource="deal", write=True),
    ("POST", "/api/v1/deals/{id}/restore"): Case(
        "record", resource="deal", write=True, before=_trash
    ),
    ("POST", "/api/v1/deals/{id}/move"): Case(
        "record",
        resource="deal",
        write=True,
        body=lambda w, rec: {"stage": deals.active_stages(rec.pipeline)[1].pk},
    ),
    ("POST", "/api/v1/deals/{id}/win"): Case("record", resource="deal", write=True),
    ("POST", "/api/v1/deals/{id}/lose"): Case(
        "record", resource="deal", write=True, body=lambda w, rec: {"reason": _lost_reason()}
    ),
    ("POST", "/api/v1/deals/{id}/reopen"): Case("record", resource="deal", write=True, before=_win),
    ("GET", "/api/v1/deals/{id}/history"): Case("record", resource="deal"),
    # the catalogue: read by all, written by managers; tax rules by an administrator
    ("GET", "/api/v1/products"): Case("any"),
    ("POST", "/api/v1/products"): Case(
        "managers",
        ok=201,
        creates=Product,
        body=lambda w: {"code": "NEW-1", "name": "کالای تازه", "price": 2_000_000},
    ),
    ("GET", "/api/v1/products/{id}"): Case("any", target=_new_product),
    ("PATCH", "/api/v1/products/{id}"): Case(
        "managers", target=_new_product, body=lambda w: {"name": "کالای تغییر"}
    ),
    ("POST", "/api/v1/products/{id}/deactivate"): Case("managers", target=_new_product),
    ("POST", "/api/v1/products/{id}/image"): Case("managers", target=_new_product, upload=_png),
    ("GET", "/api/v1/product-categories"): Case("any"),
    ("POST", "/api/v1/product-categories"): Case(
        "managers", ok=201, creates=ProductCategory, body=lambda w: {"name": "نرم‌افزار"}
    ),
    ("PATCH", "/api/v1/product-categories/{id}"): Case(
        "managers",
        target=lambda w, u: ProductCategory.objects.create(name="سخت‌افزار").pk,
        body=lambda w: {"name": "سخت‌افزار رایانه"},
    ),
    ("GET", "/api/v1/tax-rules"): Case("any"),
    ("POST", "/api/v1/tax-rules"): Case(
        "admin",
        ok=201,
        creates=TaxRule,
        body=lambda w: {"name": "عوارض ویژه", "rate_percent": "9"},
    ),
    ("PATCH", "/api/v1/tax-rules/{id}"): Case(
        "admin",
        target=lambda w, u: catalog.default_tax_rule().pk,
        body=lambda w: {"name": "مالیات بر ارزش افزوده"},
    ),
    # quotes
    ("GET", "/api/v1/quotes"): Case("list", resource="quote"),
    ("POST", "/api/v1/quotes"): Case(
        "reference", ok=201, resource="person", creates=Quote, body=_document
    ),
    ("GET", "/api/v1/quotes/{id}"): Case("record", resource="quote"),
    ("PATCH", "/api/v1/quotes/{id}"): Case(
        "record", resource="quote", write=True, body=lambda w, rec: {"notes": "تحویل فوری"}
    ),
    ("DELETE", "/api/v1/quotes/{id}"): Case("record", ok=204, resource="quote", write=True),
    ("POST", "/api/v1/quotes/{id}/restore"): Case(
        "record", resource="quote", write=True, before=_trash
    ),
    ("GET", "/api/v1/quotes/{id}/pdf"): Case("record", resource="quote"),
    ("POST", "/api/v1/quotes/{id}/send"): Case(
        "record",
        resource="quote",
        write=True,
        creates=OutboxMessage,
        body=lambda w, rec: {"to": "buyer@example.com"},
    ),
    ("POST", "/api/v1/quotes/{id}/accept"): Case(
        "record", resource="quote", write=True, creates=Order
    ),
    ("POST", "/api/v1/quotes/{id}/reject"): Case("record", resource="quote", write=True),
    # orders, payments and returns
    ("GET", "/api/v1/orders"): Case("list", resource="order"),
    ("POST", "/api/v1/orders"): Case(
        "reference", ok=201, resource="person", creates=Order, body=_document
    ),
    ("POST", "/api/v1/orders/shop"): Case(
        "create",
        ok=201,
        creates=Order,
        body=lambda w: {
            "shop_order_id": "WC-1",
            "customer": {"last_name": "خریدار", "phone": "09127654321"},
            "lines": [{"description": "کارت هدیه", "quantity": 1, "unit_price": 100_000}],
        },
    ),
    ("GET", "/api/v1/orders/{id}"): Case("record", resource="order"),
    ("PATCH", "/api/v1/orders/{id}"): Case(
        "record", resource="order", write=True, body=lambda w, rec: {"notes": "ارسال با پیک"}
    ),
    ("DELETE", "/api/v1/orders/{id}"): Case("record", ok=204, resource="order", write=True),
    ("POST", "/api/v1/orders/{id}/restore"): Case(
        "record", resource="order", write=True, before=_trash
    ),
    ("GET", "/api/v1/orders/{id}/payments"): Case("record", resource="order"),
    ("POST", "/api/v1/orders/{id}/payments"): Case(
        "record",
        ok=201,
        resource="order",
        write=True,
        creates=Payment,
        body=lambda w, rec: {"method": "cash", "amount": 100_000},
    ),
    ("POST", "/api/v1/orders/{id}/instalments"): Case(
        "record",
        ok=201,
        resource="order",
        write=True,
        creates=Payment,
        body=lambda w, rec: {"count": 2, "first_due_on": "1405/07/01"},
    ),
    ("PATCH", "/api/v1/payments/{id}"): Case(
        "record",
        resource="order",
        write=True,
        target=_pending_cheque,
        body=lambda w, rec: {"status": "received"},
    ),
    ("GET", "/api/v1/orders/{id}/returns"): Case("record", resource="order"),
    ("POST", "/api/v1/orders/{id}/returns"): Case(
        "record",
        ok=201,
        resource="order",
        write=True,
        creates=OrderReturn,
        before=_deliver,
        body=lambda w, rec: {"line": rec.lines.get().pk, "quantity": "1", "reason": "معیوب"},
    ),
    # forecast, KPIs and targets: figures of the visible deals and targets only
    ("GET", "/api/v1/forecast"): Case(
        "report", resource="won_deal", figure=lambda answer: answer["total"]["won_amount"]
    ),
    ("GET", "/api/v1/sales-kpis"): Case(
        "report", resource="won_deal", figure=lambda answer: answer["deal_size"]["total"]
    ),
    ("GET", "/api/v1/targets"): Case(
        "report",
        resource="sales_target",
        figure=lambda answer: sum(target["amount"] for target in answer),
    ),
    ("PUT", "/api/v1/targets"): Case(
        "managers",
        ok=201,
        creates=SalesTarget,
        body=lambda w: {"year": "1405", "month": "12", "team": w.team_a.pk, "amount": "9000"},
    ),
    ("DELETE", "/api/v1/targets/{id}"): Case("managers", ok=204, target=_callers_target),
}


def _set_status(job, status):
    type(job).objects.filter(pk=job.pk).update(status=status)


def _import_job(world, owner):
    """A draft import of a two-column file, belonging to ``owner`` (any role)."""
    from peyvand.transfers import services as transfers

    upload = SimpleUploadedFile("people.csv", "نام خانوادگی,موبایل\nکریمی,09121234567\n".encode())
    job = transfers.create_import(world.users["admin"], upload)
    type(job).objects.filter(pk=job.pk).update(created_by=owner)
    return job


def _check_job(world, case, role, client, method, path):
    caller = world.users[role]
    stranger = world.users["other_agent" if role != "other_agent" else "agent"]
    for owner in (caller, stranger):
        job = _import_job(world, owner)
        if case.before:
            case.before(job)
        body = case.body(world) if case.body else None
        response = _call(client, method, _fill(path, job.pk), body)
        if owner == stranger and role != "admin":
            _assert_error(response, 404)
        elif case.write and role == "viewer":
            _assert_error(response, 403)
        else:
            assert response.status_code == case.ok, (role, response.content[:500])


def registered_endpoints() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if path.startswith("/api/v1/")
    }


def test_every_endpoint_is_in_the_matrix():
    routes = registered_endpoints()
    assert routes - MATRIX.keys() == set(), "add these endpoints to MATRIX"
    assert MATRIX.keys() - routes == set(), "MATRIX names endpoints that do not exist"


def _call(client, method, path, body=None, upload=None):
    if upload is not None:  # a multipart form with a file
        headers = {"Authorization": f"Bearer {client.token}"}
        return client.client.post(path, upload, headers=headers)
    return client._call(method.lower(), path, body)


def _fill(path: str, ids) -> str:
    """``path`` with its parameters: ``ids`` is the one id of ``{id}``, or a dict of them."""
    return path.format(**(ids if isinstance(ids, dict) else {"id": ids}))


def _count(model) -> int | None:
    """Rows of ``model``, trashed ones included (None without a model)."""
    return model._base_manager.count() if model else None


def _state(record):
    fresh = type(record).all_objects.get(pk=record.pk)
    return fresh.version, fresh.deleted_at, fresh.updated_at


def _assert_error(response, status):
    assert response.status_code == status, response.content[:500]
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def _assert_silent(response, words=tuple(TEAM_WORDS.values())):
    """Nothing of these teams' records (their words) is in the answer."""
    content = response.content.decode()
    assert not any(word in content for word in words), content[:500]


def _unseen(world, role) -> list[str]:
    """The words of the teams whose records ``role`` may not see."""
    return [word for which, word in TEAM_WORDS.items() if not world.sees(role, which)]


def _check_record(world, case, role, client, method, path):
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        if case.before:
            case.before(world, record)
        url = _fill(path, case.target(world, record) if case.target else record.pk)
        body = case.body(world, record) if case.body else None
        before, count = _state(record), _count(case.creates)
        response = _call(client, method, url, body)
        if not world.sees(role, which):
            _assert_error(response, 404)
            _assert_silent(response)
        elif case.write and role == "viewer":
            _assert_error(response, 403)
        else:
            assert response.status_code == case.ok, (which, response.content[:500])
            continue
        assert _state(record) == before, "a refused call changed the record"
        assert _count(case.creates) == count, "a refused call added a row"


# What finds a record through its list's search (``q``); a list without search is absent.
SEARCH_TERMS = {
    "person": lambda record, which: [record.last_name, PHONES[which]],
    "organization": lambda record, which: [record.name],
    "lead": lambda record, which: [record.last_name],
    "deal": lambda record, which: [record.title],
    "quote": lambda record, which: [record.number],
    "order": lambda record, which: [record.number],
}


def _check_list(world, case, role, client, path):
    records = getattr(world, case.resource)  # made before the list is read
    response = _call(client, "GET", path)
    assert response.status_code == 200, response.content[:500]
    ids = {item["id"] for item in response.json()["items"]}
    _assert_silent(response, _unseen(world, role))
    for which, record in records.items():
        assert (record.pk in ids) == world.sees(role, which), which
        # Search must not find the other team's record either.
        for query in SEARCH_TERMS.get(case.resource, lambda *_: [])(record, which):
            found = _call(client, "GET", f"{path}?{urlencode({'q': query})}").json()["items"]
            assert bool(found) == world.sees(role, which), (which, query)


def _check_report(world, case, role, client, path):
    records = getattr(world, case.resource)  # made before the figures are read
    response = _call(client, "GET", path)
    assert response.status_code == 200, response.content[:500]
    seen = sum(record.amount for which, record in records.items() if world.sees(role, which))
    assert case.figure(response.json()) == seen
    _assert_silent(response, _unseen(world, role))


def _check_export(world, case, role, client, path):
    response = _call(client, "GET", f"{path}?format=csv")
    assert response.status_code == 200, response.content[:500]
    _check_exported_names(world, case, role, b"".join(response.streaming_content).decode())


def _check_export_job(world, case, role, client, path):
    with TestCase.captureOnCommitCallbacks(execute=True):  # hands the job to the worker
        response = _call(client, "POST", path, {"entity": case.resource, "format": "csv"})
    assert response.status_code == case.ok, response.content[:500]
    download = _call(client, "GET", f"{response['Location']}/download")
    assert download.status_code == 200
    _check_exported_names(world, case, role, b"".join(download.streaming_content).decode())


def _check_own(world, case, role, client, method, path):
    mine = case.target(world, world.users[role])
    response = _call(client, method, _fill(path, mine))
    assert response.status_code == case.ok, response.content[:500]
    theirs = case.target(world, world.target_user)
    _assert_error(_call(client, method, _fill(path, theirs)), 404)


def _check_exported_names(world, case, role, content: str):
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        name = SEARCH_TERMS[case.resource](record, which)[0]
        assert (name in content) == world.sees(role, which), which


def _check_reference(world, case, role, client, method, path):
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        count = _count(case.creates)
        response = _call(client, method, path, case.body(world, record))
        if role == "viewer":
            _assert_error(response, 403)
        elif not world.sees(role, which):
            _assert_error(response, 422)
            # The same answer as for an id that does not exist: nothing leaks.
            _assert_silent(response)
        else:
            assert response.status_code == case.ok, (which, response.content[:500])
            continue
        assert _count(case.creates) == count, "a refused call added a row"


ALLOWED = {
    "any": set(ROLES),
    "create": set(WRITERS),
    "admin": {"admin"},
    "managers": {"admin", "manager"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_permission_matrix(world, clients, endpoint, role):
    method, path = endpoint
    case = MATRIX[endpoint]
    client = clients(role)
    if case.kind == "record":
        return _check_record(world, case, role, client, method, path)
    if case.kind == "list":
        return _check_list(world, case, role, client, path)
    if case.kind == "report":
        return _check_report(world, case, role, client, path)
    if case.kind == "export":
        return _check_export(world, case, role, client, path)
    if case.kind == "export_job":
        return _check_export_job(world, case, role, client, path)
    if case.kind == "own":
        return _check_own(world, case, role, client, method, path)
    if case.kind == "reference":
        return _check_reference(world, case, role, client, method, path)
    if case.kind == "job":
        return _check_job(world, case, role, client, method, path)
    if case.target:
        path = _fill(path, case.target(world, world.users[role]))
    count = _count(case.creates)
    body = case.body(world) if case.body else None
    response = _call(client, method, path, body, case.upload(world) if case.upload else None)
    if role in ALLOWED[case.kind]:
        assert response.status_code == case.ok, response.content[:500]
    else:
        _assert_error(response, 403)
        assert _count(case.creates) == count, "a refused call added a row"
