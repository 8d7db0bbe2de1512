"""Create the first administrator when the database has no user yet (used by `make run`).

The e-mail and password come from PEYVAND_ADMIN_EMAIL / PEYVAND_ADMIN_PASSWORD; without a
password one is generated and printed this once, since only its hash is kept.
"""

import os
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from peyvand.accounts import services
from peyvand.accounts.models import Role, User

from ._errors import command_error

DEFAULT_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create an administrator if there is no user at all."

    def handle(self, *args, **options):
        if User.objects.exists():
            return
        email = os.environ.get("PEYVAND_ADMIN_EMAIL") or DEFAULT_EMAIL
        password = os.environ.get("PEYVAND_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            services.create_user(None, email=email, password=password, role=Role.ADMIN)
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(self.style.SUCCESS(f"Created the administrator {email}"))
        if generated:
            self.stdout.write(self.style.WARNING(f"Its password, shown only this once: {password}"))
