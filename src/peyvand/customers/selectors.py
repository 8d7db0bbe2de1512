"""Reads of people and organisations, always through the visibility rule."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from peyvand.core.pagination import BoundedCount, count_up_to, keyset_page
from peyvand.core.search import filter_search_text
from peyvand.core.visibility import visible

from .custom_fields import definitions
from .models import (
    CustomFieldDefinition,
    DuplicatePair,
    DuplicateScan,
    Membership,
    Merge,
    Organization,
    Person,
    Phone,
)

SORTS = {
    "name": ("name_key", False),
    "-name": ("name_key", True),
    "created": ("created_at", False),
    "-created": ("created_at", True),
    "-updated": ("updated_at", True),
}
FT = CustomFieldDefinition.FieldType


def visible_people(user):
    return visible(Person.objects.all(), user)


def visible_organizations(user):
    return visible(Organization.objects.all(), user)


def get_person(user, pk) -> Person:
    """The person, or 404 when it does not exist or ``user`` may not see it."""
    return get_object_or_404(visible_people(user), pk=pk)


def get_organization(user, pk) -> Organization:
    return get_object_or_404(visible_organizations(user), pk=pk)


def apply_search(queryset, raw_query: str | None):
    """Every word of the query must appear in the record's normalised search text."""
    return filter_search_text(queryset, raw_query)


def _custom_filter(definition, value) -> Q:
    lookup = f"custom__{definition.key}"
    if definition.field_type == FT.TEXT:
        return Q(**{f"{lookup}__icontains": value})
    if definition.field_type == FT.MULTICHOICE:
        # JSON text of the stored list; the quotes keep "a" from matching "ab".
        return Q(**{f"{lookup}__icontains": f'"{value}"'})
    if definition.field_type == FT.BOOLEAN:
        return Q(**{lookup: str(value).lower() in ("1", "true", "yes", "on")})
    if definition.field_type == FT.NUMBER:
        try:
            return Q(**{lookup: float(value) if "." in str(value) else int(value)})
        except ValueError:
            raise ValidationError({f"cf_{definition.key}": [_("Enter a number.")]}) from None
    return Q(**{lookup: value})


def filter_customers(queryset, entity: str, params) -> object:
    """Apply list filters: q, tag, owner, stage, province, city and cf_<key> custom fields."""
    queryset = apply_search(queryset, params.get("q"))
    if params.get("tag"):
        queryset = queryset.filter(tags__id=_int(params["tag"], "tag"))
    if params.get("owner"):
        queryset = queryset.filter(owner_id=_int(params["owner"], "owner"))
    if params.get("stage"):
        queryset = queryset.filter(lifecycle_stage=params["stage"])
    if params.get("province"):
        queryset = queryset.filter(addresses__province_id=_int(params["province"], "province"))
    if params.get("city"):
        queryset = queryset.filter(addresses__city_id=_int(params["city"], "city"))
    for definition in definitions(entity):
        value = params.get(f"cf_{definition.key}")
        if value not in (None, ""):
            queryset = queryset.filter(_custom_filter(definition, value))
    return (
        queryset.distinct() if any(params.get(k) for k in ("tag", "province", "city")) else queryset
    )


def _int(value, field):
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError({field: [_("Enter a whole number.")]}) from None


def page(queryset, params, limit: int):
    sort = params.get("sort") or "name"
    if sort not in SORTS:
        raise ValidationError({"sort": [_("Unknown sort order.")]})
    field, descending = SORTS[sort]
    return keyset_page(queryset, field, descending, params.get("cursor"), limit)


def customers_count(user, entity: str, params, limit: int | None = None) -> BoundedCount:
    """How many visible people or organisations the filters match, counted no further than
    ``limit`` (EXACT_COUNT_LIMIT by default)."""
    visible_ = visible_people if entity == "person" else visible_organizations
    queryset = filter_customers(visible_(user), entity, params)
    return count_up_to(queryset, limit or settings.PEYVAND["EXACT_COUNT_LIMIT"])


def people_page(user, params, limit: int):
    queryset = filter_customers(visible_people(user), "person", params)
    queryset = queryset.select_related("owner").prefetch_related(
        "tags", Prefetch("phones", queryset=Phone.objects.order_by("position"))
    )
    return page(queryset, params, limit)


def organizations_page(user, params, limit: int):
    queryset = filter_customers(visible_organizations(user), "organization", params)
    queryset = queryset.select_related("owner").prefetch_related("tags", "phones")
    return page(queryset, params, limit)


def person_detail(user, pk) -> Person:
    queryset = (
        visible_people(user)
        .select_related("owner", "team")
        .prefetch_related(
            "tags",
            "phones",
            "emails",
            "social_handles",
            "consents",
            "addresses__province",
            "addresses__city",
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(
                    organization__deleted_at__isnull=True
                ).select_related("organization"),
            ),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def organization_detail(user, pk) -> Organization:
    queryset = (
        visible_organizations(user)
        .select_related("owner", "team")
        .prefetch_related(
            "tags", "phones", "emails", "social_handles", "addresses__province", "addresses__city"
        )
    )
    return get_object_or_404(queryset, pk=pk)


def organization_members(user, org):
    return (
        Membership.objects.filter(organization=org, person__in=visible_people(user))
        .select_related("person")
        .order_by("person__name_key")
    )


def global_search(user, raw_query: str, limit: int = 10) -> dict:
    return {
        "people": list(
            apply_search(visible_people(user), raw_query).order_by("name_key", "id")[:limit]
        ),
        "organizations": list(
            apply_search(visible_organizations(user), raw_query).order_by("name_key", "id")[:limit]
        ),
    }


def trashed(user, model):
    return visible(model.trashed.all(), user).order_by("-deleted_at")


# ---- duplicates and merges --------------------------------------------------------------


def _both_visible(queryset, first: str, second: str, people):
    return queryset.filter(
        Exists(people.filter(pk=OuterRef(first))), Exists(people.filter(pk=OuterRef(second)))
    )


def visible_pairs(user):
    """Possible duplicates whose two people are both live and visible to ``user``."""
    return _both_visible(
        DuplicatePair.objects.all(), "person_a_id", "person_b_id", visible_people(user)
    )


def duplicate_queue(user, cursor: str | None, limit: int):
    """Open pairs, best score first, one keyset page."""
    pairs = (
        visible_pairs(user)
        .filter(status=DuplicatePair.Status.OPEN)
        .select_related("person_a", "person_b")
        .prefetch_related(
            "person_a__phones", "person_b__phones", "person_a__emails", "person_b__emails"
        )
    )
    return keyset_page(pairs, "score", True, cursor, limit)


def get_pair(user, pk) -> DuplicatePair:
    return get_object_or_404(visible_pairs(user), pk=pk)


def visible_merges(user):
    """Merges whose survivor and merged person (live or in the trash) ``user`` may see."""
    people = visible(Person.all_objects.all(), user)
    return _both_visible(Merge.objects.all(), "survivor_id", "merged_id", people)


def merge_history(user, cursor: str | None, limit: int):
    merges = visible_merges(user).select_related("survivor", "merged", "actor", "undone_by")
    return keyset_page(merges, "at", True, cursor, limit)


def get_merge(user, pk) -> Merge:
    return get_object_or_404(visible_merges(user), pk=pk)


def latest_scan() -> DuplicateScan | None:
    return DuplicateScan.objects.first()
