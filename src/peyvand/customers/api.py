"""API of people, organisations, tags and custom-field definitions.

Handlers parse, call a selector or a service, and shape the answer; visibility,
validation, versions and audit live in the selectors and services.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.pagination import keyset_page
from peyvand.core.persian import search_key
from peyvand.core.schemas import CountedPage, ListQuery, Page, RecordId
from peyvand.transfers import exports
from peyvand.transfers.export_schemas import ExportJobOut, accepted
from peyvand.transfers.models import ExportJob

from . import duplicates, merge, selectors, services
from .models import CustomFieldDefinition, Membership, Organization, Person, Tag
from .schemas import (
    CustomerQuery,
    CustomFieldIn,
    CustomFieldOut,
    DuplicateCheck,
    DuplicatePairOut,
    DuplicateScanOut,
    MergeIn,
    MergeOut,
    NoOptions,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    PersonIn,
    PersonOut,
    PersonPatch,
    TagIn,
    TagOut,
)

router = Router(tags=["customers"])

_CONTACTS = ("tags", "phones", "emails", "social_handles", "addresses__province", "addresses__city")


@dataclass(frozen=True)
class CustomerEndpoints:
    """Everything that differs between the person and the organisation endpoints."""

    path: str
    model: type
    schema_in: type
    schema_patch: type
    schema_out: type
    page: Callable
    detail: Callable
    create: Callable
    update: Callable
    related: tuple  # what one page prefetches so a list costs a fixed number of queries
    write_options: type = NoOptions  # query options of create and update


PEOPLE = CustomerEndpoints(
    path="persons",
    model=Person,
    schema_in=PersonIn,
    schema_patch=PersonPatch,
    schema_out=PersonOut,
    page=selectors.people_page,
    detail=selectors.person_detail,
    create=services.create_person,
    update=services.update_person,
    related=(
        *_CONTACTS,
        "consents",
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(organization__deleted_at__isnull=True),
        ),
    ),
    write_options=DuplicateCheck,
)

ORGANIZATIONS = CustomerEndpoints(
    path="organizations",
    model=Organization,
    schema_in=OrganizationIn,
    schema_patch=OrganizationPatch,
    schema_out=OrganizationOut,
    page=selectors.organizations_page,
    detail=selectors.organization_detail,
    create=services.create_organization,
    update=services.update_organization,
    related=_CONTACTS,
)


def _register(spec: CustomerEndpoints) -> None:
    """List, create, read, patch, trash and restore for one kind of customer."""
    name = spec.path
    entity = spec.model._meta.model_name

    @router.get(f"/{name}", response=CountedPage[spec.schema_out], operation_id=f"list_{name}")
    def list_(request, filters: Query[CustomerQuery]):
        # Filters, including any cf_<key>, come from the raw query string.
        items, next_cursor = spec.page(request.auth, request.GET, filters.page_size)
        prefetch_related_objects(items, *spec.related)
        total = selectors.customers_count(request.auth, entity, request.GET)
        return {
            "items": items,
            "next_cursor": next_cursor,
            "count": total.value,
            "count_is_exact": total.is_exact,
        }

    @router.post(f"/{name}", response={201: spec.schema_out}, operation_id=f"create_{name}")
    def create(
        request,
        payload: spec.schema_in,
        response: HttpResponse,
        options: Query[spec.write_options] = None,
    ):
        created = spec.create(
            request.auth, payload.dict(exclude_unset=True), **(options.dict() if options else {})
        )
        obj = spec.detail(request.auth, created.pk)
        with_etag(response, obj)
        response["Location"] = f"{request.path.rstrip('/')}/{obj.pk}"
        return Status(201, obj)

    @router.get(f"/{name}/export", response={202: ExportJobOut}, operation_id=f"export_{name}")
    def export_(request, response: HttpResponse, format: str = "csv", columns: str = ""):  # noqa: A002
        """The filtered list (same filters as the list) as CSV or XLSX; `columns` is
        comma-separated (all when empty). Formula-like cells are neutralised.

        A list longer than the inline limit (5,000 rows by default) is not sent here: the
        answer is 202 with an export job (as `POST /exports`) whose file the worker writes."""
        result = exports.stream_or_queue(
            request.auth, entity, request.GET, format, [c.strip() for c in columns.split(",")]
        )
        if isinstance(result, ExportJob):
            return accepted(response, result)
        return result

    @router.get(f"/{name}/{{id}}", response=spec.schema_out, operation_id=f"get_{name}")
    def get(request, id: RecordId, response: HttpResponse):
        obj = spec.detail(request.auth, id)
        with_etag(response, obj)
        return obj

    @router.patch(f"/{name}/{{id}}", response=spec.schema_out, operation_id=f"update_{name}")
    def update(
        request,
        id: RecordId,
        payload: spec.schema_patch,
        response: HttpResponse,
        options: Query[spec.write_options] = None,
    ):
        obj = spec.detail(request.auth, id)
        check_if_match(request, obj)
        data = payload.dict(exclude_unset=True)
        version = data.pop("version", None)
        expected = version if version is not None else if_match_version(request)
        spec.update(request.auth, obj, data, expected, **(options.dict() if options else {}))
        obj = spec.detail(request.auth, id)
        with_etag(response, obj)
        return obj

    @router.delete(f"/{name}/{{id}}", response={204: None}, operation_id=f"delete_{name}")
    def delete(request, id: RecordId):
        obj = spec.detail(request.auth, id)
        check_if_match(request, obj)
        services.trash(request.auth, obj, if_match_version(request))
        return Status(204, None)

    @router.post(
        f"/{name}/{{id}}/restore", response=spec.schema_out, operation_id=f"restore_{name}"
    )
    def restore(request, id: RecordId, response: HttpResponse):
        obj = get_object_or_404(selectors.trashed(request.auth, spec.model), pk=id)
        services.restore(request.auth, obj)
        obj = spec.detail(request.auth, id)
        with_etag(response, obj)
        return obj


_register(PEOPLE)
_register(ORGANIZATIONS)


# ---- duplicates and merges --------------------------------------------------------------


@router.post(
    "/persons/{id}/merge", response=MergeOut, operation_id="merge_persons", tags=["duplicates"]
)
def merge_person(request, id: RecordId, payload: MergeIn):
    """Merge `other` into this person: every linked record moves here, `other` goes to the
    trash. Undo with `POST /merges/{id}/undo`."""
    survivor = selectors.get_person(request.auth, id)
    other = Person(pk=payload.other)  # the service answers 422 unless it is live and visible
    return merge.merge_people(request.auth, survivor, other, payload.choices, payload.versions)


@router.post("/merges/{id}/undo", response=MergeOut, tags=["duplicates"])
def undo_merge(request, id: RecordId):
    return merge.undo_merge(request.auth, selectors.get_merge(request.auth, id))


@router.get("/duplicates", response=Page[DuplicatePairOut], tags=["duplicates"])
def list_duplicates(request, params: Query[ListQuery]):
    """Open pairs of people who look like one person, best score first."""
    items, next_cursor = selectors.duplicate_queue(request.auth, params.cursor, params.page_size)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/duplicates/{id}/dismiss", response=DuplicatePairOut, tags=["duplicates"])
def dismiss_duplicate(request, id: RecordId):
    """Not one person: the pair leaves the queue and stays out on later scans."""
    return duplicates.dismiss_pair(request.auth, selectors.get_pair(request.auth, id))


@router.post("/duplicates/scan", response={202: DuplicateScanOut}, tags=["duplicates"])
def scan_duplicates(request):
    """Start a scan of every person in the worker (managers and admins)."""
    return Status(202, duplicates.request_scan(request.auth))


# ---- tags -------------------------------------------------------------------------------
# Tags are shared labels, not owned records: every user sees all of them.


@router.get("/tags", response=Page[TagOut])
def list_tags(request, params: Query[ListQuery]):
    tags = Tag.objects.all()
    if params.q:
        tags = tags.filter(key__contains=search_key(params.q[:200]))
    items, next_cursor = keyset_page(tags, "name", False, params.cursor, params.page_size)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/tags", response={201: TagOut})
def create_tag(request, payload: TagIn):
    return Status(201, services.create_tag(request.auth, name=payload.name, color=payload.color))


@router.patch("/tags/{id}", response=TagOut)
def update_tag(request, id: RecordId, payload: TagIn):
    tag = get_object_or_404(Tag, pk=id)
    return services.update_tag(request.auth, tag, name=payload.name, color=payload.color)


@router.delete("/tags/{id}", response={204: None})
def delete_tag(request, id: RecordId):
    services.delete_tag(request.auth, get_object_or_404(Tag, pk=id))
    return Status(204, None)


# ---- custom-field definitions -----------------------------------------------------------


@router.get("/custom-fields", response=Page[CustomFieldOut])
def list_custom_fields(request, entity: str | None = None):
    definitions = CustomFieldDefinition.objects.all()
    if entity:
        definitions = definitions.filter(entity=entity)
    # An admin defines a handful of fields: one page holds them all.
    return {"items": definitions, "next_cursor": None}


@router.post("/custom-fields", response={201: CustomFieldOut})
def create_custom_field(request, payload: CustomFieldIn):
    return Status(201, services.create_custom_field(request.auth, payload.dict(exclude_unset=True)))


@router.patch("/custom-fields/{id}", response=CustomFieldOut)
def update_custom_field(request, id: RecordId, payload: CustomFieldIn):
    definition = get_object_or_404(CustomFieldDefinition, pk=id)
    return services.update_custom_field(request.auth, definition, payload.dict(exclude_unset=True))
