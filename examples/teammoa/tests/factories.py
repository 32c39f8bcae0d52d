"""factory-boy factories for the tests: ``UserFactory.create()`` saves a new user."""

from __future__ import annotations

from typing import Any

import factory
from moa_accounts.models import User
from moa_mindmap.models import Mindmap

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A live, active user whose password is ``PASSWORD``."""

    class Meta:
        model = User

    username = factory.Sequence(lambda number: f"user{number}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        # As signup and createsuperuser do: the manager normalizes the email and
        # hashes the password.
        user: User = model_class.objects.create_user(*args, **kwargs)
        return user


class MindmapFactory(factory.django.DjangoModelFactory[Mindmap]):
    """A mindmap with an owner of its own; ``members=[...]`` adds members."""

    class Meta:
        model = Mindmap
        # members() saves what it changes itself (factory-boy 4 stops saving after it).
        skip_postgeneration_save = True

    title = factory.Sequence(lambda number: f"Map {number}")
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def members(self, create: bool, extracted: list[User] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.members.set(extracted)
