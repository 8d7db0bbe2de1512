"""API of leads: list, create, read, patch, trash, restore, convert, disqualify, and the
predictive score model. Handlers parse, call ``sales.leads``/``sales.scoring`` and shape
the answer; visibility, validation, versions and audit live there."""

from django.http import HttpResponse
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.schemas import CountedPage, RecordId

from . import leads, scoring
from .lead_schemas import (
    ConvertIn,
    ConvertOut,
    DisqualifyIn,
    LeadIn,
    LeadOut,
    LeadPatch,
    LeadQuery,
    ScoreModelOut,
)

router = Router(tags=["leads"])


def _detail(request, pk):
    lead = leads.lead_detail(request.auth, pk)
    scoring.label_predictions([lead])
    return lead


def _expected_version(request, data: dict) -> int | None:
    version = data.pop("version", None)
    return version if version is not None else if_match_version(request)


def _model_out(model) -> dict:
    note = scoring.describe(model)
    if model is None:
        return {"note": note}
    return {
        "id": model.pk,
        "trained_at": model.trained_at,
        "samples": model.samples,
        "won": model.won,
        "lost": model.samples - model.won,
        "auc": model.auc,
        "holdout_size": model.holdout_size,
        "is_usable": model.is_usable,
        "note": note,
        "weights": model.weights,
    }


# The score model's paths come before /leads/{id}, which would otherwise claim them.


@router.get("/leads/score-model", response=ScoreModelOut)
def get_score_model(request):
    """The latest predictive model: its held-out AUC, how much history it learned from,
    and whether it is used (with too little history it is not, and says so)."""
    return _model_out(scoring.latest_model())


@router.post("/leads/score-model/train", response=ScoreModelOut)
def train_score_model(request):
    """Train now on the won/lost history (managers; the worker also trains nightly)."""
    return _model_out(scoring.retrain(request.auth))


@router.get("/leads", response=CountedPage[LeadOut])
def list_leads(request, filters: Query[LeadQuery]):
    """Filters: q (name, phone, e-mail, national ID), status, owner, source, campaign."""
    items, next_cursor = leads.leads_page(request.auth, request.GET, filters.page_size)
    scoring.label_predictions(items)
    total = leads.leads_count(request.auth, request.GET)
    return {
        "items": items,
        "next_cursor": next_cursor,
        "count": total.value,
        "count_is_exact": total.is_exact,
    }


@router.post("/leads", response={201: LeadOut})
def create_lead(request, payload: LeadIn, response: HttpResponse):
    """Without `owner`, the assignment rules choose one (the lead may then belong to
    another team, and the caller may no longer see it)."""
    lead = leads.create_lead(request.auth, payload.dict(exclude_unset=True))
    scoring.label_predictions([lead])
    with_etag(response, lead)
    response["Location"] = f"{request.path.rstrip('/')}/{lead.pk}"
    return Status(201, lead)


@router.get("/leads/{id}", response=LeadOut)
def get_lead(request, id: RecordId, response: HttpResponse):
    lead = _detail(request, id)
    with_etag(response, lead)
    return lead


@router.patch("/leads/{id}", response=LeadOut)
def update_lead(request, id: RecordId, payload: LeadPatch, response: HttpResponse):
    lead = leads.lead_detail(request.auth, id)
    check_if_match(request, lead)
    data = payload.dict(exclude_unset=True)
    leads.update_lead(request.auth, lead, data, _expected_version(request, data))
    lead = _detail(request, id)
    with_etag(response, lead)
    return lead


@router.delete("/leads/{id}", response={204: None})
def delete_lead(request, id: RecordId):
    lead = leads.lead_detail(request.auth, id)
    check_if_match(request, lead)
    leads.trash_lead(request.auth, lead, if_match_version(request))
    return Status(204, None)


@router.post("/leads/{id}/restore", response=LeadOut)
def restore_lead(request, id: RecordId, response: HttpResponse):
    leads.restore_lead(request.auth, leads.trashed_lead(request.auth, id))
    lead = _detail(request, id)
    with_etag(response, lead)
    return lead


@router.post("/leads/{id}/convert", response=ConvertOut)
def convert_lead(request, id: RecordId, payload: ConvertIn):
    """One step: a person (reused when the phone, e-mail or national ID is already
    known), an organisation from the company (reused by name) and, unless `create_deal`
    is false, a deal. A converted lead cannot be converted again (422)."""
    lead = leads.lead_detail(request.auth, id)
    check_if_match(request, lead)
    data = payload.dict(exclude_unset=True)
    version = _expected_version(request, data)
    person, organization, deal = leads.convert_lead(request.auth, lead, data, version)
    return {
        "lead": _detail(request, id),
        "person": person.pk,
        "organization": organization.pk if organization else None,
        "deal": deal.pk if deal else None,
    }


@router.post("/leads/{id}/disqualify", response=LeadOut)
def disqualify_lead(request, id: RecordId, payload: DisqualifyIn, response: HttpResponse):
    lead = leads.lead_detail(request.auth, id)
    check_if_match(request, lead)
    data = payload.dict(exclude_unset=True)
    version = _expected_version(request, data)
    leads.disqualify_lead(request.auth, lead, data.get("reason"), version)
    lead = _detail(request, id)
    with_etag(response, lead)
    return lead
