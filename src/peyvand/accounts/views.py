"""Placeholder views, replaced by the real pages."""

from django.contrib.auth.views import LoginView as DjangoLoginView
from django.http import Http404


class LoginView(DjangoLoginView):
    template_name = "accounts/login.html"


def logout_view(request, *args, **kwargs):
    raise Http404


def profile(request, *args, **kwargs):
    raise Http404


def password_change(request, *args, **kwargs):
    raise Http404


def set_language(request, *args, **kwargs):
    raise Http404


def token_list(request, *args, **kwargs):
    raise Http404


def token_revoke(request, *args, **kwargs):
    raise Http404


def user_list(request, *args, **kwargs):
    raise Http404


def user_create(request, *args, **kwargs):
    raise Http404


def user_edit(request, *args, **kwargs):
    raise Http404


def team_list(request, *args, **kwargs):
    raise Http404


def team_edit(request, *args, **kwargs):
    raise Http404
