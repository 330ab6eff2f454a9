"""``kefu token USERNAME``: print a new API token for that user (stored hashed, shown once)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kefu.core.services import create_token


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="cli", help="a label to recognise the token on the profile page"
        )

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"unknown user {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        self.stdout.write(create_token(user, name=name[:100]))
