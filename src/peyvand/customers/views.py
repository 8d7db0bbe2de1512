"""Placeholder views, replaced by the real pages."""

from django.http import Http404


def person_list(request, *args, **kwargs):
    raise Http404


def person_create(request, *args, **kwargs):
    raise Http404


def person_detail(request, *args, **kwargs):
    raise Http404


def person_edit(request, *args, **kwargs):
    raise Http404


def person_delete(request, *args, **kwargs):
    raise Http404


def organization_list(request, *args, **kwargs):
    raise Http404


def organization_create(request, *args, **kwargs):
    raise Http404


def organization_detail(request, *args, **kwargs):
    raise Http404


def organization_edit(request, *args, **kwargs):
    raise Http404


def organization_delete(request, *args, **kwargs):
    raise Http404


def city_options(request, *args, **kwargs):
    raise Http404


def tag_list(request, *args, **kwargs):
    raise Http404


def custom_field_list(request, *args, **kwargs):
    raise Http404


def custom_field_edit(request, *args, **kwargs):
    raise Http404
