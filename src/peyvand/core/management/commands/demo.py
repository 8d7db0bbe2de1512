"""``peyvand demo --people N [--deals M]``: add realistic Persian demo data."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peyvand.customers.demo import generate
from peyvand.sales.demo import generate_deals

from ._errors import command_error


class Command(BaseCommand):
    help = "Add demo people, organisations and activities (Persian names, Iranian numbers)."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=200)
        parser.add_argument(
            "--deals", type=int, default=0, help="Also add this many deals, with targets."
        )
        parser.add_argument("--seed", type=int, default=None, help="Repeatable data.")
        parser.add_argument(
            "--users-password",
            default=None,
            help="Password of the demo users (by default they cannot log in).",
        )

    def handle(self, *args, people, deals, seed, users_password, **options):
        if not 0 <= people <= 1_000_000:
            raise CommandError("--people must be between 0 and 1,000,000.")
        if not 0 <= deals <= 1_000_000:
            raise CommandError("--deals must be between 0 and 1,000,000.")
        try:
            counts = generate(people, seed=seed, users_password=users_password)
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            "added {people} people, {organizations} organizations and {activities} activities "
            "in {seconds} s".format(**counts)
        )
        if deals:
            counts = generate_deals(deals, seed=seed)
            self.stdout.write(
                "added {deals} deals ({won} won, {lost} lost), {stage_changes} stage changes "
                "and {targets} monthly targets in {seconds} s".format(**counts)
            )
