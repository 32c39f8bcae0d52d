"""Models covering every relation kind; ``objects`` is safe, ``plain`` is not."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from moa_queries import SafeManager


class Person(models.Model):
    name = models.CharField(max_length=50)
    bio = models.TextField(default="")
    mentor = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="mentees"
    )

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    person = models.OneToOneField(Person, models.CASCADE, related_name="profile")
    city = models.CharField(max_length=50)

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Tag(models.Model):
    label = models.CharField(max_length=50)
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Team(models.Model):
    name = models.CharField(max_length=50)
    motto = models.TextField(default="")
    host = models.ForeignKey(Person, models.CASCADE, related_name="hosted_teams")
    deputy = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="deputy_of"
    )
    members = models.ManyToManyField(Person, related_name="teams", blank=True)
    tags = GenericRelation(Tag)

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class TeamProxy(Team):
    """A proxy: its rows load relations as Team rows do."""

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        proxy = True
        default_manager_name = "objects"


class Squad(models.Model):
    """A many-to-many relation through an explicit model."""

    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Person, through="Membership", related_name="squads")

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Membership(models.Model):
    squad = models.ForeignKey(Squad, models.CASCADE)
    person = models.ForeignKey(Person, models.CASCADE)
    role = models.CharField(max_length=20, default="member")

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Club(models.Model):
    """Declares the relations every list of clubs loads."""

    name = models.CharField(max_length=50)
    owner = models.ForeignKey(Person, models.CASCADE, related_name="owned_clubs")
    members = models.ManyToManyField(Person, related_name="clubs", blank=True)

    objects = SafeManager()

    class QueryDefaults:
        select_related = ("owner",)
        prefetch_related = ("members",)


class Place(models.Model):
    name = models.CharField(max_length=50)
    address = models.CharField(max_length=100, default="")

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"


class Note(models.Model):
    """A generic foreign key that may be empty."""

    text = models.CharField(max_length=50)
    content_type = models.ForeignKey(ContentType, models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    plain = models.Manager()
    objects = SafeManager()

    class Meta:
        default_manager_name = "objects"
