"""Account pages: log in and out, profile, language, password, API tokens, users and teams."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.contrib.auth.views import LogoutView
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    LanguageForm,
    LoginForm,
    StyledPasswordChangeForm,
    TeamForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from .models import Team, User


class LoginView(DjangoLoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome back, %(name)s.") % {"name": form.get_user()})
        return response


logout_view = LogoutView.as_view()


def admin_required(view):
    """Admin pages exist for everyone, so a non-admin gets a clear 403 page, not a 404."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            return render(request, "accounts/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _profile_page(request, token_form=None, new_key=None):
    context = {
        "tokens": request.user.api_tokens.all(),
        "token_form": token_form or TokenForm(),
        "new_key": new_key,
    }
    return render(request, "accounts/profile.html", context)


@login_required
def profile(request):
    return _profile_page(request)


@require_POST
@login_required
def set_language(request):
    form = LanguageForm(request.POST)
    if form.is_valid():
        services.set_language(request.user, form.cleaned_data["language"])
    else:
        messages.error(request, _("Choose Persian or English."))
    return redirect(_safe_next(request, "accounts:profile"))


@login_required
def password_change(request):
    form = StyledPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Changing the password would otherwise end this very session.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def token_list(request):
    """GET shows the tokens on the profile page; POST creates one and shows its key once."""
    if request.method != "POST":
        return redirect("accounts:profile")
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form)
    _token, raw = services.create_token(request.user, form.cleaned_data["name"])
    return _profile_page(request, new_key=raw)


@require_POST
@login_required
def token_revoke(request, pk):
    # Someone else's token does not exist for this user, even for an admin on this page.
    token = get_object_or_404(request.user.api_tokens.all(), pk=pk)
    services.revoke_token(request.user, token)
    messages.success(request, _("The token has been revoked; programs using it are locked out."))
    return redirect("accounts:profile")


@admin_required
def user_list(request):
    users = User.objects.prefetch_related("teams")
    return render(request, "accounts/user_list.html", {"users": users})


@admin_required
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("User %(name)s has been created.") % {"name": user})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "subject": None})


@admin_required
def user_edit(request, pk):
    subject = get_object_or_404(User, pk=pk)
    form = UserEditForm.for_user(subject, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(request.user, subject, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("User %(name)s has been saved.") % {"name": subject})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "subject": subject})


@admin_required
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Team %(name)s has been created.") % {"name": team})
            return redirect("accounts:team_list")
    teams = Team.objects.prefetch_related("members")
    return render(request, "accounts/team_list.html", {"teams": teams, "form": form})


@admin_required
def team_edit(request, pk):
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_team(request.user, team, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The team has been renamed."))
            return redirect("accounts:team_list")
    members = team.members.all()
    return render(
        request, "accounts/team_form.html", {"team": team, "form": form, "members": members}
    )
