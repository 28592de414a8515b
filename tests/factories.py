"""factory-boy factories for the org chart and people."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from directory.models import Assignment, OrgUnit, Person, Position, Source
from directory.ranks import DEFAULT_RANKS

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"第{n}課")
    level = OrgUnit.Level.DIVISION
    parent = None


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position
        django_get_or_create = ("title",)

    title = "主事"
    rank = factory.LazyAttribute(lambda o: DEFAULT_RANKS.get(o.title, 0))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"職員 {n}号")
    source = Source.LOCAL
    kind = Person.Kind.STAFF


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    person = factory.SubFactory(PersonFactory)
    unit = factory.SubFactory(OrgUnitFactory)
    position = factory.SubFactory(PositionFactory)
    is_primary = True


def make_person(
    username: str, name: str, unit: OrgUnit | None, title: str = "主事", **kw
) -> Person:
    """A person with the local password TEST_PASSWORD and, given a unit, a primary post there."""
    person = PersonFactory(user=UserFactory(username=username), display_name=name, **kw)
    if unit is not None:
        AssignmentFactory(person=person, unit=unit, position=PositionFactory(title=title))
    return person
