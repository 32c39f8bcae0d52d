"""Export a mindmap for other tools; import the editor's JSON export as a new mindmap."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from moa_mindmap.models import Edge, Mindmap, Node
from moa_mindmap.snapshots import build_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(mindmap: Mindmap) -> dict[str, Node]:
    """Root "Plans 2026" with children "Launch" (then "Hire") and a Korean child of Launch."""
    root = Node.objects.create(mindmap=mindmap, text="Plans 2026", order="i")
    hire = Node.objects.create(mindmap=mindmap, parent=root, text="Hire", order="t")
    launch = Node.objects.create(mindmap=mindmap, parent=root, text="Launch\nv2", order="k")
    korean = Node.objects.create(
        mindmap=mindmap, parent=launch, text="출시 준비", color="#aabbcc", order="i"
    )
    Edge.objects.create(mindmap=mindmap, source=hire, target=korean, label="needs")
    return {"root": root, "hire": hire, "launch": launch, "korean": korean}


def test_markdown_export_is_an_outline_in_sibling_order(client, users, mindmap, tree):
    """A member downloads a Markdown outline: nesting by parent, siblings by order, then edges."""
    client.force_login(users["bob"])
    response = client.get(reverse("moa_mindmap:export-md", args=[mindmap.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="mindmap-{mindmap.pk}.md"'
    assert response.content.decode() == (
        "# Plans\n\n- Plans 2026\n  - Launch v2\n    - 출시 준비\n  - Hire\n\n"
        "## Connections\n\n- Hire → 출시 준비 (needs)\n"
    )


def test_freemind_export_opens_as_a_tree_with_its_links(client, users, mindmap, tree):
    """The ``.mm`` file has one root (the title), the nodes nested, edges as arrowlinks."""
    client.force_login(users["alice"])
    response = client.get(reverse("moa_mindmap:export-mm", args=[mindmap.pk]))
    assert response.status_code == 200
    document = ElementTree.fromstring(response.content)
    assert document.tag == "map"
    (top,) = document.findall("node")
    assert top.get("TEXT") == "Plans"
    (root,) = top.findall("node")
    assert [child.get("TEXT") for child in root.findall("node")] == ["Launch\nv2", "Hire"]
    korean = root.find("node/node")
    assert korean is not None
    assert (korean.get("TEXT"), korean.get("BACKGROUND_COLOR")) == ("출시 준비", "#aabbcc")
    (link,) = document.iter("arrowlink")
    assert link.get("DESTINATION") == korean.get("ID")
    assert link.get("MIDDLE_LABEL") == "needs"


@pytest.mark.parametrize("name", ["export-md", "export-mm"])
def test_export_needs_view_permission(client, users, mindmap, name):
    """Someone who may not view the mindmap gets 403; an unknown one 404; anonymous, login."""
    url = reverse(f"moa_mindmap:{name}", args=[mindmap.pk])
    assert client.get(url).status_code == 302
    client.force_login(users["eve"])
    assert client.get(url).status_code == 403
    assert client.get(reverse(f"moa_mindmap:{name}", args=[mindmap.pk + 99])).status_code == 404


def export_json(mindmap: Mindmap) -> bytes:
    """What the editor's *Export JSON* saves: the snapshot's nodes and edges."""
    snapshot = build_snapshot(mindmap.pk)
    data = {"mindmap": mindmap.pk, "seq": snapshot["seq"], **snapshot}
    return json.dumps({key: data[key] for key in ("mindmap", "seq", "nodes", "edges")}).encode()


def upload(client: Any, content: bytes, title: str = "Copy") -> Any:
    file = SimpleUploadedFile("mindmap.json", content, content_type="application/json")
    return client.post(reverse("moa_mindmap:import"), {"title": title, "file": file})


def test_import_of_a_json_export_creates_the_same_map_owned_by_the_user(
    client, users, mindmap, tree
):
    """Bob imports Alice's export: a new map he owns, same tree, texts, colours and edges."""
    client.force_login(users["bob"])
    assert client.get(reverse("moa_mindmap:import")).status_code == 200
    response = upload(client, export_json(mindmap))
    copy = Mindmap.objects.get(title="Copy")
    assert response.status_code == 302
    assert response["Location"] == copy.get_absolute_url()
    assert copy.owner == users["bob"]
    assert copy.pk != mindmap.pk
    original = client.get(reverse("moa_mindmap:export-md", args=[mindmap.pk])).content
    imported = client.get(reverse("moa_mindmap:export-md", args=[copy.pk])).content
    assert imported.decode().replace("# Copy", "# Plans") == original.decode()
    assert Node.objects.get(mindmap=copy, text="출시 준비").color == "#aabbcc"


def node(node_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "parent": None, "text": "", "x": 0, "y": 0, **fields}


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"nodes": {"id": 1}}).encode(),
        json.dumps({"nodes": [node(1, x=float("1e9"))]}).encode(),
        json.dumps({"nodes": [node(1, color="#ffffff\n")]}).encode(),
        json.dumps({"nodes": [node(1, text="\ud800")]}).encode(),
        json.dumps({"nodes": [node(1, text="x" * 5001)]}).encode(),
        json.dumps({"nodes": [node(1), node(1)]}).encode(),
        json.dumps({"nodes": [node(1, parent=2)]}).encode(),
        json.dumps({"nodes": [node(1, parent=2), node(2, parent=1)]}).encode(),
        json.dumps({"nodes": [node(1)], "edges": [{"source": 1, "target": 1}]}).encode(),
        json.dumps({"nodes": [node(1)], "edges": [{"source": 1, "target": 2}]}).encode(),
        json.dumps(
            {"nodes": [node(1), node(2)], "edges": [{"source": 1, "target": 2, "label": 7}]}
        ).encode(),
    ],
    ids=[
        "not-json",
        "not-object",
        "nodes-not-list",
        "far-coordinate",
        "colour-trailing-newline",
        "lone-surrogate",
        "text-too-long",
        "duplicate-id",
        "missing-parent",
        "parent-cycle",
        "self-loop",
        "edge-to-unknown",
        "label-not-text",
    ],
)
def test_a_bad_file_is_refused_and_writes_nothing(client, users, data):
    """Each field follows the protocol's rules; any break is a 400 with the reason, no map."""
    client.force_login(users["bob"])
    response = upload(client, data)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not Mindmap.objects.filter(title="Copy").exists()
    assert not Node.objects.exists()


@override_settings(MOA_MINDMAP_MAX_NODES=2)
def test_import_respects_the_node_limit(client, users):
    """A file with more nodes than ``MOA_MINDMAP_MAX_NODES`` is refused."""
    client.force_login(users["bob"])
    response = upload(client, json.dumps({"nodes": [node(1), node(2), node(3)]}).encode())
    assert response.status_code == 400
    assert "at most 2 nodes" in str(response.context["form"].errors["file"])
    assert not Mindmap.objects.exists()


def test_the_editor_toolbar_links_both_exports(client, users, mindmap):
    """The editor page offers the Markdown and FreeMind downloads beside JSON and PNG."""
    client.force_login(users["bob"])
    content = client.get(mindmap.get_absolute_url()).content.decode()
    for name in ("export-md", "export-mm"):
        assert f'href="{reverse(f"moa_mindmap:{name}", args=[mindmap.pk])}" download' in content
