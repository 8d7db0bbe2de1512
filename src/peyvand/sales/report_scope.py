"""What a sales report looks at: the deals the user may see, narrowed by pipeline, owner and
team, and the targets that belong to the same people.

Forecast and KPIs share it, so both read exactly the same deals. An owner or team the user
may not look at is an error on that filter (it would otherwise reveal their target).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core import validation
from peyvand.core.persian import to_ascii_digits

from . import targets
from .deals import visible_deals
from .models import Pipeline


@dataclass(frozen=True)
class Scope:
    user: User
    pipeline: Pipeline | None = None
    owner: User | None = None
    team: Team | None = None

    def deals(self):
        """The visible deals these filters keep."""
        deals = visible_deals(self.user)
        if self.pipeline:
            deals = deals.filter(pipeline=self.pipeline)
        if self.owner:
            deals = deals.filter(owner=self.owner)
        if self.team:
            deals = deals.filter(team=self.team)
        return deals

    def target_holders(self) -> tuple[list[int], list[int]]:
        """(user ids, team ids) whose targets make up this scope's target.

        One owner: theirs. One team: the team's. Otherwise every team the user reads (all of
        them for an admin). A team without its own target adds up its members' targets.
        """
        if self.owner:
            return [self.owner.pk], []
        teams = [self.team] if self.team else list(targets.readable_teams(self.user))
        team_ids = [team.pk for team in teams]
        member_ids = list(
            targets.readable_users(self.user)
            .filter(teams__in=team_ids)
            .values_list("pk", flat=True)
            .distinct()
        )
        return member_ids, team_ids

    def as_params(self) -> dict:
        """The filters as query parameters, for links that keep them."""
        return {
            name: obj.pk
            for name, obj in (
                ("pipeline", self.pipeline),
                ("owner", self.owner),
                ("team", self.team),
            )
            if obj
        }


def _id(value) -> int | None:
    raw = to_ascii_digits(str(value if value is not None else "")).strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError(_("Enter a whole number."))
    return int(raw)


def _pick(queryset, value, message):
    pk = _id(value)
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError(message)
    return found


def clean_scope(user, params) -> Scope:
    """The report filters in ``params`` (``pipeline``, ``owner``, ``team`` ids, any digits)."""
    errors = validation.FieldErrors()
    pipeline = errors.check(
        "pipeline",
        lambda: _pick(Pipeline.objects.all(), params.get("pipeline"), _("No such pipeline.")),
    )
    owner = errors.check(
        "owner",
        lambda: _pick(
            targets.readable_users(user), params.get("owner"), _("No such owner in your teams.")
        ),
    )
    team = errors.check(
        "team",
        lambda: _pick(targets.readable_teams(user), params.get("team"), _("No such team.")),
    )
    errors.raise_if_any()
    return Scope(user=user, pipeline=pipeline, owner=owner, team=team)


class TargetBook:
    """The targets of a scope over some Jalali years, per owner, per team and in total."""

    def __init__(self, scope: Scope, years, *, owners=()):
        user_ids, self.team_ids = scope.target_holders()
        # Owners of the deals shown get their own row, with their target when readable.
        readable_owners = targets.readable_users(scope.user).filter(pk__in=list(owners))
        user_ids = {*user_ids, *readable_owners.values_list("pk", flat=True)}
        self.scope = scope
        self.amounts = targets.amounts(years, users=user_ids, teams=self.team_ids)
        self.members: dict[int, list[int]] = {}
        memberships = User.teams.through.objects.filter(
            team_id__in=self.team_ids, user_id__in=user_ids
        )
        for team_id, user_id in memberships.values_list("team_id", "user_id"):
            self.members.setdefault(team_id, []).append(user_id)

    def owner_ids(self) -> set[int]:
        """Owners with a target of their own in these years."""
        if self.scope.owner:
            return {self.scope.owner.pk}
        return {pk for kind, pk, _key in self.amounts if kind == "user"}

    def owner(self, user_id: int, month_key: int) -> int | None:
        return self.amounts.get(("user", user_id, month_key))

    def team(self, team_id: int, month_key: int) -> int | None:
        """The team's own target, else the sum of its members' (None when neither)."""
        own = self.amounts.get(("team", team_id, month_key))
        if own is not None:
            return own
        return _sum_known(self.owner(uid, month_key) for uid in self.members.get(team_id, ()))

    def total(self, month_key: int) -> int | None:
        if self.scope.owner:
            return self.owner(self.scope.owner.pk, month_key)
        return _sum_known(self.team(team_id, month_key) for team_id in self.team_ids)

    def over(self, month_keys, holder=None) -> int | None:
        """The target of several months: of the scope, or of ``("user" | "team", id)``."""
        if holder is None:
            return _sum_known(self.total(key) for key in month_keys)
        kind, pk = holder
        read = self.owner if kind == "user" else self.team
        return _sum_known(read(pk, key) for key in month_keys)


def _sum_known(values) -> int | None:
    """The sum of the values that are not None; None when all are (no target is not 0)."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None
