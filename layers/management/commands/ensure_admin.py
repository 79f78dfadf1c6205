import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create a superuser with a random password, printed once, unless a "
        "superuser already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser already exists; no account was created.")
            return
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"A user named {username!r} exists but is not a superuser. "
                "Run `manage.py createsuperuser` with another name."
            )
        password = secrets.token_urlsafe(16)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS("Created the admin account. It is shown only once:")
        )
        self.stdout.write(f"  username: {username}\n  password: {password}")
        self.stdout.write("Change it at /admin/password_change/ after signing in.")
