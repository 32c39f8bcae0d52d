from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moa_mindmap.models import Mindmap, Node
from moa_mindmap.views import MindmapListView
from moa_queries.testing import assert_max_queries, count_queries

pytestmark = pytest.mark.django_db


def make_maps(owner: Any, member: Any, count: int) -> None:
    for number in range(count):
        mindmap = Mindmap.objects.create(title=f"Map {number}", owner=owner)
        mindmap.members.add(member)
        Node.objects.create(mindmap=mindmap, text="a")
        Node.objects.create(mindmap=mindmap, text="b")


def list_queries(client: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("moa_mindmap:list"))
    assert response.status_code == 200
    return len(queries), response


def test_list_shows_own_and_shared_maps_only(client, users, mindmap):
    """The list shows maps the user owns or is a member of, with node counts."""
    Mindmap.objects.create(title="Eve's", owner=users["eve"])
    Node.objects.create(mindmap=mindmap, text="x")
    client.force_login(users["bob"])
    _, response = list_queries(client)
    assert [m.title for m in response.context["mindmaps"]] == ["Plans"]
    assert response.context["mindmaps"][0].node_count == 1
    content = response.content.decode()
    assert "Plans" in content
    assert "Eve&#x27;s" not in content
    assert "Eve's" not in content


def test_list_runs_a_constant_number_of_queries(client, users):
    """The list page's query count does not grow with the number of mindmaps."""
    client.force_login(users["bob"])
    make_maps(users["alice"], users["bob"], 2)
    few, _ = list_queries(client)
    make_maps(users["alice"], users["bob"], 8)
    many, response = list_queries(client)
    assert len(response.context["mindmaps"]) == 10
    assert many == few


def test_list_requires_login(client):
    """Anonymous visitors are sent to the login page."""
    response = client.get(reverse("moa_mindmap:list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_post_creates_a_mindmap_owned_by_the_user(client, users):
    """POSTing a title creates a mindmap and redirects to its editor."""
    client.force_login(users["alice"])
    response = client.post(reverse("moa_mindmap:list"), {"title": "New"})
    mindmap = Mindmap.objects.get(title="New")
    assert mindmap.owner == users["alice"]
    assert response.status_code == 302
    assert response["Location"] == f"/mindmap/{mindmap.pk}/"


def test_post_without_title_is_a_form_error(client, users):
    """A missing title answers 400 with the form error and creates nothing."""
    client.force_login(users["alice"])
    response = client.post(reverse("moa_mindmap:list"), {"title": ""})
    assert response.status_code == 400
    assert response.context["form"].errors == {"title": ["This field is required."]}
    assert not Mindmap.objects.exists()


def test_editor_page_loads_the_editor(client, users, mindmap):
    """The editor page ships its config and the static editor script."""
    client.force_login(users["bob"])
    response = client.get(mindmap.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "moa_mindmap/editor.js" in content
    config = json.loads(
        content.split('id="mm-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["mindmapId"] == mindmap.pk
    assert config["socketPath"] == f"/ws/mindmap/{mindmap.pk}/"
    assert config["canEdit"] is True
    assert config["protocol"] == 1


def test_editor_page_is_forbidden_to_strangers(client, users, mindmap):
    """Users the permission hook refuses get 403; unknown maps 404."""
    client.force_login(users["eve"])
    assert client.get(mindmap.get_absolute_url()).status_code == 403
    assert client.get(f"/mindmap/{mindmap.pk + 100}/").status_code == 404


def test_static_files_ship_inside_the_package():
    """The editor's script and stylesheet are found by the staticfiles finders."""
    from django.contrib.staticfiles import finders

    for name in ("moa_mindmap/editor.js", "moa_mindmap/mindmap.css"):
        assert finders.find(name), name


def test_list_shows_members_and_links_back_to_the_app(client, users, mindmap):
    """A member sees the owner's map with its members, the way home, import and exports."""
    client.force_login(users["bob"])
    _, response = list_queries(client)
    content = response.content.decode()
    assert "<td>bob</td>" in content
    assert '<a href="/" class="mm-home">' in content
    assert reverse("moa_mindmap:import") in content
    assert reverse("moa_mindmap:export-md", args=[mindmap.pk]) in content
    assert reverse("moa_mindmap:export-mm", args=[mindmap.pk]) in content


def member_cells(context: Any) -> list[str]:
    """What the Members column shows, row by row."""
    return [", ".join(u.get_username() for u in m.listed_members) for m in context["mindmaps"]]


def test_members_column_names_each_maps_members_in_constant_queries(client, users):
    """Every row names its own members; twelve maps cost the queries of two (moa-queries)."""
    client.force_login(users["bob"])
    make_maps(users["alice"], users["bob"], 2)
    with count_queries() as few:
        client.get(reverse("moa_mindmap:list"))
    for number in range(10):
        shared = Mindmap.objects.create(title=f"Shared {number}", owner=users["eve"])
        shared.members.add(users["bob"], users["alice"])
    with assert_max_queries(few.count):
        response = client.get(reverse("moa_mindmap:list"))
    cells = member_cells(response.context)
    assert len(cells) == 12
    assert cells.count("bob") == 2
    assert sorted(set(cells)) == ["alice, bob", "bob"]
    assert "<td>alice, bob</td>" in response.content.decode()


def test_members_column_lists_members_by_username(client, users, django_user_model):
    """A row names its members by username, whatever order they were created and added in."""
    mindmap = Mindmap.objects.create(title="Sorted", owner=users["alice"])
    created = {
        name: django_user_model.objects.create_user(username=name, password="pw")
        for name in ("zoe", "adam", "mia")
    }
    # Neither creation (primary key) order nor the order they were added is the sorted one.
    mindmap.members.add(created["mia"])
    mindmap.members.add(created["zoe"])
    mindmap.members.add(created["adam"])
    client.force_login(users["alice"])
    _, response = list_queries(client)
    assert member_cells(response.context) == ["adam, mia, zoe"]
    assert "<td>adam, mia, zoe</td>" in response.content.decode()


class TeamListView(MindmapListView):
    """A project's list that counts the owner among the members (as a team would)."""

    def get_members(self, mindmap: Mindmap) -> list[Any]:
        return [mindmap.owner, *mindmap.members.all()]


def test_a_subclass_chooses_who_the_members_column_lists(rf, users, mindmap):
    """``get_members`` decides what each row shows, without a query per row."""
    request = rf.get("/mindmap/")
    request.user = users["bob"]
    with assert_max_queries(3):
        response = TeamListView.as_view()(request)
        response.render()
    assert member_cells(response.context_data) == ["alice, bob"]
    assert "<td>alice, bob</td>" in response.content.decode()
