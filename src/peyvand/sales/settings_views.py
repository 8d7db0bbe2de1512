"""The sales settings hub: one page linking every list a manager keeps (pipelines, lost
reasons, competitors, cadences, web forms, assignment and scoring rules, targets) and what
an administrator keeps (tax rules, categories, the seller profile)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


@login_required
def sales_settings(request):
    if not (request.user.is_admin or request.user.is_manager):
        raise PermissionDenied
    return render(request, "sales/settings.html")
