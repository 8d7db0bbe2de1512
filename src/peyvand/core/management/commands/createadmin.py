"""``peyvand createadmin --email E --password P``: an administrator account."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from peyvand.accounts import services
from peyvand.accounts.models import Role

from ._errors import command_error


class Command(BaseCommand):
    help = "Create a user with the administrator role."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="Full name shown in the interface.")

    def handle(self, *args, email, password, name, **options):
        try:
            user = services.create_user(
                None, email=email, password=password, full_name=name, role=Role.ADMIN
            )
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(f"created administrator {user.email}")
