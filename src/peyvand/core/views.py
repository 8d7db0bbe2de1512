"""Pages that belong to no single domain: home, global search, trash."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from peyvand.activities.selectors import my_open_followups


@login_required
def home(request):
    return render(request, "core/home.html", {"followups": my_open_followups(request.user)})


def healthz(request):
    return JsonResponse({"status": "ok"})


def search(request):
    raise NotImplementedError


def trash(request):
    raise NotImplementedError


def trash_restore(request, kind, pk):
    raise NotImplementedError


def trash_purge(request, kind, pk):
    raise NotImplementedError
