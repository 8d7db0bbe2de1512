"""API of the caller's own account, users and teams (admins only), and API tokens."""

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.core.pagination import keyset_page
from peyvand.core.schemas import ListQuery, Page, RecordId

from . import services
from .models import ApiToken, Team, User
from .schemas import (
    MePatch,
    NewTokenOut,
    TeamIn,
    TeamOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)

router = Router(tags=["accounts"])


# ---- the caller -------------------------------------------------------------------------


@router.get("/me", response=UserOut)
def me(request):
    return request.auth


@router.patch("/me", response=UserOut)
def update_me(request, payload: MePatch):
    services.set_language(request.auth, payload.language)
    return request.auth


@router.get("/tokens", response=Page[TokenOut])
def list_tokens(request):
    # A user has a handful of tokens: one page holds them all.
    return {"items": request.auth.api_tokens.all(), "next_cursor": None}


@router.post("/tokens", response={201: NewTokenOut})
def create_token(request, payload: TokenIn):
    token, raw = services.create_token(request.auth, payload.name)
    token.key = raw
    return Status(201, token)


@router.delete("/tokens/{id}", response={204: None})
def revoke_token(request, id: RecordId):
    # Someone else's token does not exist for the caller, unless they are an admin.
    tokens = ApiToken.objects.all() if request.auth.is_admin else request.auth.api_tokens.all()
    services.revoke_token(request.auth, get_object_or_404(tokens, pk=id))
    return Status(204, None)


# ---- users and teams: administrators only -----------------------------------------------


@router.get("/users", response=Page[UserOut])
def list_users(request, params: Query[ListQuery]):
    services.require_admin(request.auth)
    users = User.objects.prefetch_related("teams")
    if params.q:
        users = users.filter(email__icontains=params.q[:200])
    items, next_cursor = keyset_page(users, "email", False, params.cursor, params.page_size)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/users", response={201: UserOut})
def create_user(request, payload: UserIn):
    data = payload.dict()
    data["team_ids"] = data.pop("teams")
    return Status(201, services.create_user(request.auth, **data))


@router.get("/users/{id}", response=UserOut)
def get_user(request, id: RecordId):
    services.require_admin(request.auth)
    return get_object_or_404(User, pk=id)


@router.patch("/users/{id}", response=UserOut)
def update_user(request, id: RecordId, payload: UserPatch):
    services.require_admin(request.auth)
    data = payload.dict(exclude_unset=True)
    if "teams" in data:
        data["team_ids"] = data.pop("teams")
    return services.update_user(request.auth, get_object_or_404(User, pk=id), **data)


@router.get("/teams", response=Page[TeamOut])
def list_teams(request, params: Query[ListQuery]):
    services.require_admin(request.auth)
    items, next_cursor = keyset_page(
        Team.objects.all(), "name", False, params.cursor, params.page_size
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/teams", response={201: TeamOut})
def create_team(request, payload: TeamIn):
    return Status(201, services.create_team(request.auth, name=payload.name))


@router.get("/teams/{id}", response=TeamOut)
def get_team(request, id: RecordId):
    services.require_admin(request.auth)
    return get_object_or_404(Team, pk=id)


@router.patch("/teams/{id}", response=TeamOut)
def rename_team(request, id: RecordId, payload: TeamIn):
    services.require_admin(request.auth)
    return services.rename_team(request.auth, get_object_or_404(Team, pk=id), name=payload.name)
