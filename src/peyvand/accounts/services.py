"""Writes on users, teams and tokens. Only admins manage users and teams."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.persian import clean_text, to_ascii_digits

from .models import ApiToken, Role, Team, User, hash_token

TOKEN_PREFIX = "pv_"


def require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_admin):
        raise PermissionDenied(_("Only an administrator may manage users and teams."))


def _clean_email(email: str) -> str:
    email = clean_text(email).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    return email


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose one of the roles.")]})
    return role


@transaction.atomic
def create_user(
    actor, *, email, password, full_name="", role=Role.AGENT, team_ids=(), language="fa"
):
    """Create a user. ``actor=None`` is the command line, which may bootstrap the first admin."""
    if actor is not None:
        require_admin(actor)
    email = _clean_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": [_("A user with this e-mail already exists.")]})
    full_name = clean_text(full_name)
    if len(full_name) > 150:
        raise ValidationError({"full_name": [_("At most 150 characters.")]})
    user = User(email=email, full_name=full_name, role=_clean_role(role), language=language)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    user.teams.set(Team.objects.filter(id__in=team_ids))
    return user


@transaction.atomic
def update_user(
    actor, user: User, *, full_name=None, role=None, team_ids=None, is_active=None, language=None
):
    require_admin(actor)
    if full_name is not None:
        user.full_name = clean_text(full_name)[:150]
    if role is not None:
        if user.pk == actor.pk and role != Role.ADMIN:
            raise ValidationError(
                {"role": [_("You cannot take the administrator role from yourself.")]}
            )
        user.role = _clean_role(role)
    if is_active is not None:
        if user.pk == actor.pk and not is_active:
            raise ValidationError({"is_active": [_("You cannot deactivate yourself.")]})
        user.is_active = is_active
    if language in ("fa", "en"):
        user.language = language
    user.save()
    if team_ids is not None:
        user.teams.set(Team.objects.filter(id__in=team_ids))
    return user


def set_language(user: User, language: str) -> None:
    if language not in ("fa", "en"):
        raise ValidationError({"language": [_("Choose Persian or English.")]})
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def create_team(actor, *, name: str) -> Team:
    require_admin(actor)
    name = clean_text(name)
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("A team name has 1 to 100 characters.")]})
    if Team.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A team with this name already exists.")]})
    return Team.objects.create(name=name)


@transaction.atomic
def rename_team(actor, team: Team, *, name: str) -> Team:
    require_admin(actor)
    name = clean_text(name)
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("A team name has 1 to 100 characters.")]})
    if Team.objects.filter(name=name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": [_("A team with this name already exists.")]})
    team.name = name
    team.save(update_fields=["name"])
    return team


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; the raw key is returned once and only its hash is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=clean_text(name)[:100], prefix=raw[:10], key_hash=hash_token(raw)
    )
    return token, raw


def revoke_token(actor, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_admin:
        raise PermissionDenied(_("You may revoke only your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def authenticate_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_username(request, credentials=None) -> str:
    """The e-mail a login attempt names, as the lock-out counts it.

    Normalised like the login form (ASCII digits, lower case) so that case or digit
    variants share one counter, and cut to the column's 254 characters so that a
    garbage 5 MB "e-mail" is just a failed attempt.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return to_ascii_digits(str(raw)).strip().lower()[:254]
