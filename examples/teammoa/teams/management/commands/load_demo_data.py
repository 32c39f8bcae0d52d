"""``manage.py load_demo_data``: users and teams to look at; safe to run twice."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from moa_mindmap.models import Mindmap

from teams.models import Team

# Passes AUTH_PASSWORD_VALIDATORS (a test checks it); the admin's "admin" is created directly.
DEMO_PASSWORD = "demo-pass-1234"
TEAMS = {
    "Design": ["minji", "jun", "seoyeon"],
    "Backend": ["jun", "hyunwoo"],
    "Mobile": ["seoyeon", "jiho", "minji", "hyunwoo"],
}


class Command(BaseCommand):
    help = f"Create demo users (password {DEMO_PASSWORD!r}) and teams, once."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        users = {}
        for username in sorted({name for names in TEAMS.values() for name in names}):
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", "admin")
        for name, members in TEAMS.items():
            team, _ = Team.objects.get_or_create(name=name, defaults={"host": users[members[0]]})
            team.members.set(users[m] for m in members)
            if team.mindmap is None:
                team.mindmap = Mindmap.objects.create(title=f"{name} plans", owner=team.host)
                team.save(update_fields=["mindmap"])
        self.stdout.write(
            f"Demo data ready: {len(users)} users, {len(TEAMS)} teams; admin/admin for /admin/."
        )
