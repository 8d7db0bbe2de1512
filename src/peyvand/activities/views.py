"""Placeholder views, replaced by the real pages."""

from django.http import Http404


def activity_create(request, *args, **kwargs):
    raise Http404


def activity_edit(request, *args, **kwargs):
    raise Http404


def activity_done(request, *args, **kwargs):
    raise Http404


def activity_delete(request, *args, **kwargs):
    raise Http404


def followups(request, *args, **kwargs):
    raise Http404


def notifications(request, *args, **kwargs):
    raise Http404


def notifications_read(request, *args, **kwargs):
    raise Http404
