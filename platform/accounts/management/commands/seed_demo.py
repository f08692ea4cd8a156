"""Create one demo account per role on the first run and print their passwords once."""

import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, User
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) if they do not exist; passwords are printed once."

    def handle(self, *args, **options):
        created = []
        with transaction.atomic():
            for role in Role.values:
                username = f"demo-{role}"
                if User.objects.filter(username=username).exists():
                    continue
                password = secrets.token_urlsafe(12)
                user_create(username=username, password=password, email=f"{username}@example.invalid",
                            role=role)
                created.append((username, role, password))
        if not created:
            self.stdout.write("Demo accounts exist already (demo-creator, demo-reviewer, demo-auditor, "
                              "demo-admin); their passwords were printed when they were created.")
            return
        self.stdout.write(self.style.WARNING("Demo accounts created. These passwords are shown only once:"))
        for username, role, password in created:
            self.stdout.write(f"  {role:<9} {username:<15} {password}")
