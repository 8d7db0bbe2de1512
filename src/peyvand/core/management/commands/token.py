"""``peyvand token create --email E``: print a new API token for a user."""

from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts import services
from peyvand.accounts.models import User


class Command(BaseCommand):
    help = "Manage API tokens."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="command line")

    def handle(self, *args, action, email, name, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user with the e-mail {email!r}.")
        _token, raw = services.create_token(user, name)
        # Only the raw token on stdout, so scripts can capture it.
        self.stdout.write(raw)
