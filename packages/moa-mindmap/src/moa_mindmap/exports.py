"""Export a mindmap for other tools, and import the editor's JSON export.

The Markdown outline and the FreeMind ``.mm`` file list nodes as a tree, in
sibling order; edges between nodes are listed after the outline in Markdown
and as ``arrowlink`` elements in FreeMind. Importing a JSON export creates a
new mindmap: every field is checked with the protocol's field rules, and a
file that breaks one writes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from xml.etree import ElementTree

from django.db import transaction

from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import LimitExceeded, ProtocolError
from moa_mindmap.models import Edge, Mindmap, Node
from moa_mindmap.ordering import key_between
from moa_mindmap.protocol import (
    MAX_LABEL_LENGTH,
    boolean_field,
    color_field,
    id_field,
    number_field,
    text_field,
)

# The largest JSON export accepted, in bytes (a full map of long texts fits).
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _tree(mindmap: Mindmap) -> tuple[list[Node], dict[int, list[Node]], list[Edge]]:
    """Return the roots, the children of each node (both in sibling order) and the edges."""
    nodes = sorted(Node.objects.filter(mindmap=mindmap), key=lambda node: (node.order, node.pk))
    children: dict[int, list[Node]] = defaultdict(list)
    roots = []
    for node in nodes:
        if node.parent_id is None:
            roots.append(node)
        else:
            children[node.parent_id].append(node)
    edges = list(Edge.objects.filter(mindmap=mindmap).order_by("pk"))
    return roots, children, edges


def _walk(roots: list[Node], children: dict[int, list[Node]]) -> list[tuple[int, Node]]:
    """Return ``(depth, node)`` pairs, depth first, without recursion."""
    walked = []
    stack = [(0, node) for node in reversed(roots)]
    while stack:
        depth, node = stack.pop()
        walked.append((depth, node))
        stack.extend((depth + 1, child) for child in reversed(children[node.pk]))
    return walked


def _one_line(text: str) -> str:
    return " ".join(text.split())


def export_markdown(mindmap: Mindmap) -> str:
    """Return the mindmap as a Markdown outline: a heading, nested bullets, then the edges."""
    roots, children, edges = _tree(mindmap)
    lines = [f"# {_one_line(mindmap.title)}", ""]
    texts = {}
    for depth, node in _walk(roots, children):
        texts[node.pk] = _one_line(node.text) or "(empty)"
        lines.append(f"{'  ' * depth}- {texts[node.pk]}")
    if edges:
        lines += ["", "## Connections", ""]
        for edge in edges:
            label = f" ({_one_line(edge.label)})" if edge.label else ""
            lines.append(f"- {texts[edge.source_id]} → {texts[edge.target_id]}{label}")
    return "\n".join(lines) + "\n"


def export_freemind(mindmap: Mindmap) -> str:
    """Return the mindmap as a FreeMind 1.0 ``.mm`` file (also read by Freeplane and XMind).

    FreeMind has one root: the mindmap's title, holding its root nodes.
    """
    roots, children, edges = _tree(mindmap)
    document = ElementTree.Element("map", version="1.0.1")
    top = ElementTree.SubElement(document, "node", TEXT=mindmap.title, ID="mindmap")
    elements: dict[int, ElementTree.Element] = {}
    for depth, node in _walk(roots, children):
        parent = top if depth == 0 else elements[node.parent_id]  # type: ignore[index]
        element = ElementTree.SubElement(
            parent, "node", TEXT=node.text, ID=f"node_{node.pk}", BACKGROUND_COLOR=node.color
        )
        if node.collapsed and children[node.pk]:
            element.set("FOLDED", "true")
        elements[node.pk] = element
    for edge in edges:
        link = ElementTree.SubElement(
            elements[edge.source_id], "arrowlink", DESTINATION=f"node_{edge.target_id}"
        )
        if edge.label:
            link.set("MIDDLE_LABEL", edge.label)
    return ElementTree.tostring(document, encoding="unicode") + "\n"


def _objects(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ProtocolError(f"{name!r} must be a list of objects.")
    return value


def import_json(text: str | bytes, owner: Any, title: str) -> Mindmap:
    """Create a mindmap owned by ``owner`` from the editor's JSON export; return it.

    Nodes and edges are checked with the protocol's field rules (ids, numbers,
    colours, text limits, ``MOA_MINDMAP_MAX_NODES``); parents and edge ends
    must be nodes of the file, with no cycle. Raises
    :class:`~moa_mindmap.exceptions.OpError` (nothing written) otherwise.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("The file is not valid JSON.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ProtocolError("The file must hold a JSON object.")
    nodes = _objects(data, "nodes")
    edges = _objects(data, "edges")
    limit = app_settings.MOA_MINDMAP_MAX_NODES
    if len(nodes) > limit:
        raise LimitExceeded(f"A mindmap may hold at most {limit} nodes.", code="too_many_nodes")
    parsed: dict[int, dict[str, Any]] = {}
    for node in nodes:
        node_id = id_field(node, "id") or 0  # Never 0: ids start at 1.
        if node_id in parsed:
            raise ProtocolError(f"Node {node_id} appears twice.")
        parsed[node_id] = {
            "parent": id_field(node, "parent", nullable=True),
            "text": text_field(node, "text"),
            "x": number_field(node, "x", 0),
            "y": number_field(node, "y", 0),
            "color": color_field(node) if "color" in node else "#ffffff",
            "collapsed": boolean_field(node, "collapsed") if "collapsed" in node else False,
            "order": node.get("order") if isinstance(node.get("order"), str) else "",
        }
    links: list[tuple[int, int, str]] = []
    for edge in edges:
        # Never 0: ids start at 1.
        source, target = id_field(edge, "source") or 0, id_field(edge, "target") or 0
        if source not in parsed or target not in parsed:
            raise ProtocolError("An edge connects a node that is not in the file.")
        if source == target:
            raise ProtocolError("An edge cannot connect a node to itself.", code="invalid_op")
        if any(link[:2] == (source, target) for link in links):
            raise ProtocolError(f"Nodes {source} and {target} are connected twice.")
        links.append((source, target, text_field(edge, "label", MAX_LABEL_LENGTH)))
    # Parents first; a node whose parent never comes is in a cycle or an orphan.
    children: dict[int | None, list[int]] = defaultdict(list)
    for node_id, fields in sorted(parsed.items(), key=lambda item: (item[1]["order"], item[0])):
        if fields["parent"] is not None and fields["parent"] not in parsed:
            raise ProtocolError(f"Node {node_id}'s parent is not in the file.")
        children[fields["parent"]].append(node_id)
    with transaction.atomic():
        mindmap = Mindmap.objects.create(title=title, owner=owner)
        created: dict[int, Node] = {}
        queue: list[int | None] = [None]
        while queue:
            parent = queue.pop()
            order = None
            for node_id in children[parent]:
                fields = parsed[node_id]
                order = key_between(order, None)
                created[node_id] = Node.objects.create(
                    mindmap=mindmap,
                    parent=created[parent] if parent is not None else None,
                    text=fields["text"],
                    x=fields["x"],
                    y=fields["y"],
                    color=fields["color"],
                    collapsed=fields["collapsed"],
                    order=order,
                )
                queue.append(node_id)
        if len(created) != len(parsed):
            raise ProtocolError("The nodes' parents make a cycle.")
        Edge.objects.bulk_create(
            Edge(mindmap=mindmap, source=created[source], target=created[target], label=label)
            for source, target, label in links
        )
    return mindmap
