"""API of pipelines, lost reasons, competitors, cadences and deals.

Handlers parse, call a selector or a service, and shape the answer; visibility,
validation, versions and audit live in ``sales.deals`` and ``sales.cadences``.
Settings are read by everyone and changed by managers and administrators.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.schemas import CountedPage, Page, RecordId

from . import cadences, deals
from .deal_schemas import (
    ActiveQuery,
    CadenceIn,
    CadenceOut,
    CompetitorIn,
    CompetitorOut,
    DealIn,
    DealOut,
    DealPatch,
    DealQuery,
    LoseIn,
    LostReasonIn,
    LostReasonOut,
    MoveIn,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    StageChangeOut,
    StageDelete,
    StageIn,
)
from .models import Cadence, Competitor, DealProduct, Pipeline, Stage

router = Router(tags=["deals"])


def _all(items) -> dict:
    """A settings list: a handful of rows, so one page holds them all."""
    return {"items": list(items), "next_cursor": None}


# ---- pipelines and stages -----------------------------------------------------------------


def _pipeline(pk) -> Pipeline:
    return get_object_or_404(deals.pipelines(), pk=pk)


def _stage(pipeline_pk, pk) -> Stage:
    return get_object_or_404(Stage, pipeline_id=pipeline_pk, pk=pk)


@router.get("/pipelines", response=Page[PipelineOut], tags=["pipelines"])
def list_pipelines(request, params: Query[ActiveQuery]):
    """Every pipeline with its stages in order."""
    return _all(deals.pipelines(active_only=bool(params.active)))


@router.post("/pipelines", response={201: PipelineOut}, tags=["pipelines"])
def create_pipeline(request, payload: PipelineIn):
    created = deals.create_pipeline(request.auth, payload.dict(exclude_unset=True))
    return Status(201, _pipeline(created.pk))


@router.get("/pipelines/{id}", response=PipelineOut, tags=["pipelines"])
def get_pipeline(request, id: RecordId):
    return _pipeline(id)


@router.patch("/pipelines/{id}", response=PipelineOut, tags=["pipelines"])
def update_pipeline(request, id: RecordId, payload: PipelinePatch):
    deals.update_pipeline(request.auth, _pipeline(id), payload.dict(exclude_unset=True))
    return _pipeline(id)


@router.post("/pipelines/{id}/stages", response={201: PipelineOut}, tags=["pipelines"])
def create_stage(request, id: RecordId, payload: StageIn):
    """A stage at the end, or at `position` (0 is the first); answers the whole pipeline."""
    deals.create_stage(request.auth, _pipeline(id), payload.dict(exclude_unset=True))
    return Status(201, _pipeline(id))


@router.patch("/pipelines/{id}/stages/{stage_id}", response=PipelineOut, tags=["pipelines"])
def update_stage(request, id: RecordId, stage_id: RecordId, payload: StageIn):
    """Rename, re-weigh, (de)activate or move (`position`) a stage."""
    deals.update_stage(request.auth, _stage(id, stage_id), payload.dict(exclude_unset=True))
    return _pipeline(id)


@router.delete("/pipelines/{id}/stages/{stage_id}", response={204: None}, tags=["pipelines"])
def delete_stage(request, id: RecordId, stage_id: RecordId, params: Query[StageDelete]):
    """Refused (422) while deals are in the stage, unless `move_to` names where they go."""
    deals.delete_stage(request.auth, _stage(id, stage_id), params.move_to)
    return Status(204, None)


# ---- lost reasons and competitors ---------------------------------------------------------


@router.get("/lost-reasons", response=Page[LostReasonOut], tags=["pipelines"])
def list_lost_reasons(request, params: Query[ActiveQuery]):
    return _all(deals.lost_reasons(active_only=bool(params.active)))


@router.post("/lost-reasons", response={201: LostReasonOut}, tags=["pipelines"])
def create_lost_reason(request, payload: LostReasonIn):
    return Status(201, deals.create_lost_reason(request.auth, payload.dict(exclude_unset=True)))


@router.patch("/lost-reasons/{id}", response=LostReasonOut, tags=["pipelines"])
def update_lost_reason(request, id: RecordId, payload: LostReasonIn):
    reason = get_object_or_404(deals.lost_reasons(), pk=id)
    return deals.update_lost_reason(request.auth, reason, payload.dict(exclude_unset=True))


@router.get("/competitors", response=Page[CompetitorOut], tags=["pipelines"])
def list_competitors(request):
    return _all(Competitor.objects.all())


@router.post("/competitors", response={201: CompetitorOut}, tags=["pipelines"])
def create_competitor(request, payload: CompetitorIn):
    return Status(201, deals.create_competitor(request.auth, payload.dict(exclude_unset=True)))


@router.patch("/competitors/{id}", response=CompetitorOut, tags=["pipelines"])
def update_competitor(request, id: RecordId, payload: CompetitorIn):
    competitor = get_object_or_404(Competitor, pk=id)
    return deals.update_competitor(request.auth, competitor, payload.dict(exclude_unset=True))


# ---- cadences -----------------------------------------------------------------------------


def _cadence(pk) -> Cadence:
    return get_object_or_404(cadences.cadences(), pk=pk)


@router.get("/cadences", response=Page[CadenceOut], tags=["cadences"])
def list_cadences(request):
    return _all(cadences.cadences())


@router.post("/cadences", response={201: CadenceOut}, tags=["cadences"])
def create_cadence(request, payload: CadenceIn):
    created = cadences.create_cadence(request.auth, payload.dict(exclude_unset=True))
    return Status(201, _cadence(created.pk))


@router.get("/cadences/{id}", response=CadenceOut, tags=["cadences"])
def get_cadence(request, id: RecordId):
    return _cadence(id)


@router.patch("/cadences/{id}", response=CadenceOut, tags=["cadences"])
def update_cadence(request, id: RecordId, payload: CadenceIn):
    cadences.update_cadence(request.auth, _cadence(id), payload.dict(exclude_unset=True))
    return _cadence(id)


@router.delete("/cadences/{id}", response={204: None}, tags=["cadences"])
def delete_cadence(request, id: RecordId):
    cadences.delete_cadence(request.auth, _cadence(id))
    return Status(204, None)


# ---- deals --------------------------------------------------------------------------------

# What one page prefetches so a list costs a fixed number of queries.
_DEAL_RELATED = (
    "competitors",
    Prefetch("product_lines", queryset=DealProduct.objects.select_related("product")),
)


def _answer(request, response: HttpResponse, pk):
    """The deal as stored now, with its version as the ETag."""
    deal = deals.deal_detail(request.auth, pk)
    with_etag(response, deal)
    return deal


def _expected(request, payload) -> int | None:
    return payload.version if payload.version is not None else if_match_version(request)


@router.get("/deals", response=CountedPage[DealOut])
def list_deals(request, filters: Query[DealQuery]):
    """Visible deals, newest first, filtered; `count` stops at the exact-count limit."""
    items, next_cursor = deals.deals_page(request.auth, request.GET, filters.page_size)
    prefetch_related_objects(items, *_DEAL_RELATED)
    total = deals.deals_count(request.auth, request.GET)
    return {
        "items": items,
        "next_cursor": next_cursor,
        "count": total.value,
        "count_is_exact": total.is_exact,
    }


@router.post("/deals", response={201: DealOut})
def create_deal(request, payload: DealIn, response: HttpResponse):
    created = deals.create_deal(request.auth, payload.dict(exclude_unset=True))
    deal = _answer(request, response, created.pk)
    response["Location"] = f"{request.path.rstrip('/')}/{deal.pk}"
    return Status(201, deal)


@router.get("/deals/{id}", response=DealOut)
def get_deal(request, id: RecordId, response: HttpResponse):
    return _answer(request, response, id)


@router.patch("/deals/{id}", response=DealOut)
def update_deal(request, id: RecordId, payload: DealPatch, response: HttpResponse):
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    deals.update_deal(request.auth, deal, data, _expected(request, payload))
    return _answer(request, response, id)


@router.delete("/deals/{id}", response={204: None})
def delete_deal(request, id: RecordId):
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    deals.trash_deal(request.auth, deal, if_match_version(request))
    return Status(204, None)


@router.post("/deals/{id}/restore", response=DealOut)
def restore_deal(request, id: RecordId, response: HttpResponse):
    deals.restore_deal(request.auth, get_object_or_404(deals.trashed_deals(request.auth), pk=id))
    return _answer(request, response, id)


@router.post("/deals/{id}/move", response=DealOut)
def move_deal(request, id: RecordId, payload: MoveIn, response: HttpResponse):
    """To a stage of its pipeline, just before `before` or after `after` (default: top)."""
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    deals.move_deal(
        request.auth,
        deal,
        payload.stage,
        before_id=payload.before,
        after_id=payload.after,
        expected_version=_expected(request, payload),
    )
    return _answer(request, response, id)


@router.post("/deals/{id}/win", response=DealOut)
def win_deal(request, id: RecordId, response: HttpResponse):
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    deals.win_deal(request.auth, deal, if_match_version(request))
    return _answer(request, response, id)


@router.post("/deals/{id}/lose", response=DealOut)
def lose_deal(request, id: RecordId, payload: LoseIn, response: HttpResponse):
    """`reason` is required: an active lost reason (`GET /lost-reasons?active=true`)."""
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    deals.lose_deal(
        request.auth, deal, payload.reason, payload.note or "", _expected(request, payload)
    )
    return _answer(request, response, id)


@router.post("/deals/{id}/reopen", response=DealOut)
def reopen_deal(request, id: RecordId, response: HttpResponse):
    deal = deals.deal_detail(request.auth, id)
    check_if_match(request, deal)
    deals.reopen_deal(request.auth, deal, if_match_version(request))
    return _answer(request, response, id)


@router.get("/deals/{id}/history", response=list[StageChangeOut])
def deal_history(request, id: RecordId):
    """Every stage change and close, oldest first, with the time spent until the next."""
    deal = deals.deal_detail(request.auth, id)
    return [
        {
            "from_stage": entry.change.from_stage_id,
            "from_stage_name": entry.change.from_stage.name if entry.change.from_stage else None,
            "to_stage": entry.change.to_stage_id,
            "to_stage_name": entry.change.to_stage.name if entry.change.to_stage else None,
            "status": entry.change.status,
            "at": entry.change.at,
            "by": entry.change.by_id,
            "seconds": int(entry.duration.total_seconds()) if entry.duration else None,
            "ongoing": entry.ongoing,
        }
        for entry in deals.stage_history(deal)
    ]
