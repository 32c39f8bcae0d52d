"""The frame parser accepts exactly what docs/reference/protocol.md documents, and nothing else.

Hand-picked frames from the fuzzing that found the gaps come first; then
hypothesis builds valid frames of every type and breaks one field at a time.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest
from django.db import OperationalError
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from moa_mindmap.exceptions import OpError, StaleVersion
from moa_mindmap.models import Edge, Node
from moa_mindmap.models import Op as LoggedOp
from moa_mindmap.protocol import (
    CLIENT_TYPES,
    MAX_LABEL_LENGTH,
    ParsedOp,
    decode_frame,
    error_frame,
    parse_cursor,
    parse_sync,
)
from moa_mindmap.registry import OP_KINDS, parse_op

# What a frame that breaks the protocol is answered with (docs: "error code").
# The deepest a client frame may nest (docs: "Frames"); ``{"a": []}`` is 2.
MAX_NESTING = 8
PROTOCOL_CODES = {"invalid_json", "invalid_frame", "unknown_type", "unknown_op", "text_too_long"}
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def parse(text: str | None, data: bytes | None = None) -> Any:
    """Parse a client frame the way the consumer does; return what it yields."""
    frame = decode_frame(text, data)
    if frame["type"] == "op":
        return parse_op(frame)
    if frame["type"] == "sync":
        return parse_sync(frame)
    if frame["type"] == "cursor":
        return parse_cursor(frame)
    return None


def refusal(text: str) -> str:
    """Return the error code ``text`` is refused with (fail if it is accepted)."""
    with pytest.raises(OpError) as refused:
        parse(text)
    assert refused.value.message
    return refused.value.code


def op_frame(kind: str, **fields: Any) -> str:
    return json.dumps({"type": "op", "op": kind, "id": "k3j9x-17", **fields})


# Found by fuzzing a live server (issue 12, finding 8); each once reached the
# database, a traceback or both.
FOUND = [
    pytest.param("[" * 8000 + "]" * 8000, id="nested-list"),
    pytest.param('{"type": "op", "id": ' + "[" * 5000 + "]" * 5000 + "}", id="nested-id"),
    pytest.param(op_frame("node.create", color="#ffffff\n"), id="colour-newline"),
    pytest.param(
        op_frame("node.update", node=1, base_version=1, color="#ABCDEF\n"),
        id="update-colour-newline",
    ),
    pytest.param(op_frame("node.create").replace("k3j9x-17", "abc\\n"), id="op-id-newline"),
    pytest.param(op_frame("node.create", text="\ud800"), id="lone-surrogate"),
    pytest.param(op_frame("node.create", text="ok \udfff ok"), id="lone-low-surrogate"),
    pytest.param(
        op_frame("node.update", node=1, base_version=1, text="\ud83d"), id="update-surrogate"
    ),
    pytest.param(op_frame("edge.create", source=1, target=2, label="\ud800"), id="label-surrogate"),
    pytest.param('{"type": ' + "[" * 900 + "]" * 900 + "}", id="nested-type"),
    pytest.param('{"type": "op", "id": "a", "op": ' + "[" * 900 + "]" * 900 + "}", id="nested-op"),
]


@pytest.mark.parametrize("text", FOUND)
def test_what_fuzzing_found_is_an_invalid_frame(text):
    """Deep nesting, a newline after a colour or an op id, a lone surrogate: refused."""
    assert refusal(text) == "invalid_frame"


def test_a_long_label_is_refused_before_the_database():
    """Labels are stored in 500 characters: a higher text limit does not raise that."""
    with override_settings(MOA_MINDMAP_MAX_TEXT_LENGTH=2000):
        label = op_frame("edge.create", source=1, target=2, label="x" * 501)
        assert refusal(label) == "text_too_long"
        assert parse(op_frame("node.create", text="x" * 2000)).args["text"] == "x" * 2000


def test_the_patterns_fit_the_columns():
    """What the parser lets through fits the columns it is stored in, on every database."""
    assert Edge._meta.get_field("label").max_length == MAX_LABEL_LENGTH
    assert Node._meta.get_field("color").max_length == len("#a1b2c3")
    assert LoggedOp._meta.get_field("client_op_id").max_length == 64
    assert parse(op_frame("node.create", color="#A1B2C3")).args["color"] == "#a1b2c3"


def test_node_create_fields_default_as_documented():
    """``parent``, ``text``, ``x`` and ``y`` may be left out (the table says so)."""
    assert parse(op_frame("node.create")) == ParsedOp(
        kind="node.create",
        id="k3j9x-17",
        args={"parent": None, "text": "", "x": 0.0, "y": 0.0, "index": None},
    )


def test_unknown_values_are_named_without_being_echoed():
    """Error messages quote a short, printable prefix of a bad type, never the whole value."""
    error_text = json.dumps({"type": "x" * 10_000})
    with pytest.raises(OpError) as refused:
        parse(error_text)
    assert refused.value.code == "unknown_type"
    assert len(refused.value.message) < 200


# ---- valid frames, built from the protocol table --------------------------

OP_ID_CHARS = string.ascii_letters + string.digits + "_.:-"
op_ids = st.text(OP_ID_CHARS, min_size=1, max_size=64)
ids = st.integers(1, 2**63 - 1)
versions = st.integers(1, 2**31 - 1)
coordinates = st.one_of(
    st.integers(-1_000_000, 1_000_000), st.floats(-1_000_000, 1_000_000, allow_nan=False)
)
# Any Unicode text but lone surrogates (hypothesis never draws those unasked);
# NUL is allowed on the wire and dropped before storing.
texts = st.text(max_size=500)
colors = st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)
indexes = st.integers(0, 2**31 - 1)

Fields = dict[str, dict[str, tuple[st.SearchStrategy[Any], bool]]]


def op_fields(
    node_ids: st.SearchStrategy[int] = ids,
    edge_ids: st.SearchStrategy[int] = ids,
    node_versions: st.SearchStrategy[int] = versions,
) -> Fields:
    """Each op's fields: name -> (strategy of valid values, whether it may be left out)."""
    return {
        "node.create": {
            "parent": (st.none() | node_ids, True),
            "text": (texts, True),
            "x": (coordinates, True),
            "y": (coordinates, True),
            "color": (colors, True),
            "index": (st.none() | indexes, True),
        },
        "node.update": {
            "node": (node_ids, False),
            "base_version": (node_versions, False),
            "text": (texts, True),
            "color": (colors, True),
            "collapsed": (st.booleans(), True),
        },
        "node.move": {
            "node": (node_ids, False),
            "base_version": (node_versions, False),
            "x": (coordinates, False),
            "y": (coordinates, False),
            "parent": (st.none() | node_ids, True),
            "index": (st.none() | indexes, True),
        },
        "node.delete": {"node": (node_ids, False), "base_version": (node_versions, False)},
        "edge.create": {
            "source": (node_ids, False),
            "target": (node_ids, False),
            "label": (texts, True),
        },
        "edge.delete": {"edge": (edge_ids, False)},
    }


OPS = op_fields()
OTHER_TYPES: Fields = {
    "sync": {"since": (st.integers(0, 2**63 - 1), False)},
    "cursor": {"x": (coordinates, False), "y": (coordinates, False)},
    "ping": {},
}


@st.composite
def valid_frames(draw: st.DrawFn, ops: Fields = OPS) -> dict[str, Any]:
    """A frame the protocol accepts: every required field, some optional ones."""
    kind = draw(st.sampled_from([*ops, *OTHER_TYPES]))
    if kind in ops:
        frame: dict[str, Any] = {"type": "op", "op": kind, "id": draw(op_ids)}
        fields = ops[kind]
    else:
        frame = {"type": kind}
        fields = OTHER_TYPES[kind]
    for name, (values, optional) in fields.items():
        if not optional or draw(st.booleans()):
            frame[name] = draw(values)
    if kind == "node.update" and not {"text", "color", "collapsed"} & set(frame):
        frame["collapsed"] = draw(st.booleans())
    return frame


@FUZZ
@given(frame=valid_frames())
def test_every_documented_frame_is_accepted(frame):
    """A frame built from the protocol table parses, keeping its values."""
    parsed = parse(json.dumps(frame))
    if frame["type"] == "op":
        assert (parsed.kind, parsed.id) == (frame["op"], frame["id"])
        for name, value in parsed.args.items():
            if name in frame:
                sent = frame[name]
                expected = sent.replace("\x00", "") if isinstance(sent, str) else sent
                assert value == (expected.lower() if name == "color" else expected)
    elif frame["type"] == "sync":
        assert parsed == frame["since"]
    elif frame["type"] == "cursor":
        assert parsed == (frame["x"], frame["y"])


# ---- and broken ones, one mistake at a time --------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
not_strings = json_values.filter(lambda value: not isinstance(value, str))
not_integers = json_values.filter(lambda value: type(value) is not int)
not_numbers = json_values.filter(lambda value: type(value) not in (int, float))
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@st.composite
def with_surrogate(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """A valid string with one lone surrogate put in somewhere."""
    text = draw(valid)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(lone_surrogates) + text[at:]


@st.composite
def with_junk(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """A valid string with a character the pattern does not allow, often at the end."""
    text = draw(valid)
    junk = draw(st.sampled_from(["\n", "\r", " ", "\t", "\x00", "é", "/", "\u2028"]))
    at = draw(st.sampled_from([len(text), 0]) | st.integers(0, len(text)))
    return text[:at] + junk + text[at:]


def bad_values(name: str) -> st.SearchStrategy[Any]:
    """Values that break field ``name`` (each one an ``invalid_frame``)."""
    positive = not_integers | st.integers(max_value=0) | st.integers(min_value=2**63)
    if name in ("node", "source", "target", "edge"):
        return positive
    if name == "parent":
        return positive.filter(lambda value: value is not None)
    if name == "base_version":
        return not_integers | st.integers(max_value=0) | st.integers(min_value=2**31)
    if name == "since":
        return not_integers | st.integers(max_value=-1) | st.integers(min_value=2**63)
    if name == "index":
        return (
            not_integers.filter(lambda value: value is not None)
            | st.integers(max_value=-1)
            | st.integers(min_value=2**31)
        )
    if name in ("x", "y"):
        return (
            not_numbers
            | st.floats(min_value=1_000_000, exclude_min=True)
            | st.floats(max_value=-1_000_000, exclude_max=True)
            | st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**7, -(10**7)])
        )
    if name == "color":
        return (
            not_strings
            | with_junk(colors)
            | with_surrogate(colors)
            | st.text(max_size=7).filter(lambda value: not re.fullmatch("#[0-9a-fA-F]{6}", value))
        )
    if name == "collapsed":
        return json_values.filter(lambda value: not isinstance(value, bool))
    if name in ("text", "label"):
        return not_strings | with_surrogate(st.text(max_size=400))
    assert name == "id", name
    return (
        not_strings
        | st.just("")
        | st.text(OP_ID_CHARS, min_size=65, max_size=80)
        | with_junk(op_ids)
        | with_surrogate(op_ids)
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def nesting(value: Any) -> int:
    """Return how deep ``value`` nests (a scalar: 0, ``{}``: 1, ``{"a": []}``: 2)."""
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    return 0


def answer(value: Any, code: str) -> tuple[str, str]:
    """Serialize ``value``; a frame nested deeper than documented is refused first."""
    return json.dumps(value), "invalid_frame" if nesting(value) > MAX_NESTING else code


@st.composite
def broken_frames(draw: st.DrawFn, ops: Fields = OPS) -> tuple[str, str]:
    """A frame with one mistake, serialized, and the error code it must get."""
    frame = draw(valid_frames(ops))
    fields = ops.get(frame.get("op", ""), OTHER_TYPES.get(frame["type"], {}))
    if frame["type"] == "op":
        fields = {"id": (op_ids, False), **fields}
    mistakes = ["not an object", "unknown type", "not json", "deeply nested", "mislaid nesting"]
    mistakes += ["bad value"] * 4 if fields else []
    if any(not optional for _, optional in fields.values()):
        mistakes.append("missing field")
    if frame["type"] == "op":
        mistakes += ["unknown op", "long text"]
    mistake = draw(st.sampled_from(mistakes))
    if mistake == "bad value":
        name = draw(st.sampled_from(sorted(fields)))
        frame[name] = draw(bad_values(name))
        return answer(frame, "invalid_frame")
    if mistake == "missing field":
        name = draw(st.sampled_from(sorted(n for n, (_, opt) in fields.items() if not opt)))
        del frame[name]
        return answer(frame, "invalid_frame")
    if mistake == "not an object":
        return answer(draw(json_values.filter(lambda v: not isinstance(v, dict))), "invalid_frame")
    if mistake == "unknown type":
        frame["type"] = draw(json_values.filter(lambda value: value not in CLIENT_TYPES))
        return answer(frame, "unknown_type")
    if mistake == "unknown op":
        frame["op"] = draw(json_values.filter(lambda value: value not in list(OP_KINDS)))
        return answer(frame, "unknown_op")
    if mistake == "long text":
        frame["label" if frame["op"] == "edge.create" else "text"] = draw(
            st.text(min_size=501, max_size=600)
        )
        if frame["op"] not in ("node.create", "node.update", "edge.create"):
            return answer(frame, "ok")  # Not a field of this op: ignored.
        return answer(frame, "text_too_long")
    if mistake == "not json":
        text = json.dumps(frame)
        cut = draw(st.integers(1, len(text) - 1))
        # A strict prefix of an object never parses, nor does it with these after it.
        return text[:cut] + draw(st.sampled_from(["", ",", "'", "\\"])), "invalid_json"
    depth = draw(st.integers(1, 8000) | st.integers(1, MAX_NESTING + 1))
    if mistake == "deeply nested":
        return nested(depth), "invalid_frame"
    # Nesting where a field wants a scalar.
    name = draw(st.sampled_from(sorted(fields))) if fields else "type"
    depth = min(depth, 7000)  # Within the size limit.
    text = json.dumps({**frame, name: "@@"}).replace('"@@"', nested(depth))
    if name == "type" and depth + 1 <= MAX_NESTING:
        return text, "unknown_type"
    return text, "invalid_frame"


@FUZZ
@given(case=broken_frames())
@example(case=(nested(8000), "invalid_frame"))
@example(case=(op_frame("node.create", color="#ffffff\n"), "invalid_frame"))
def test_every_broken_frame_gets_its_documented_error(case):
    """One mistake in a valid frame: refused with its exact code, nothing else raised."""
    text, code = case
    if code == "ok":
        parse(text)
        return
    assert code in PROTOCOL_CODES
    assert refusal(text) == code


@FUZZ
@given(text=st.text(st.characters(exclude_categories=()), max_size=200))
@example(text="\ud800")  # Not over a real socket (UTF-8 is checked), but in-process ASGI.
def test_arbitrary_text_never_raises_anything_but_an_error_frame(text):
    """Whatever text arrives, the parser answers with an error code or a parsed frame."""
    codes = []
    try:
        parse(text)
    except OpError as error:
        codes.append(error.code)
    assert set(codes) <= PROTOCOL_CODES


def test_error_frame_answers_every_failure_the_way_the_docs_say():
    """Stale edits are ``rejected`` with the node, refusals carry their code, the rest resend."""
    stale = StaleVersion("Node 7 is at version 5, not 4.", node={"id": 7, "version": 5})
    assert error_frame(stale, "a1") == {
        "type": "rejected",
        "id": "a1",
        "reason": "stale",
        "message": "Node 7 is at version 5, not 4.",
        "node": {"id": 7, "version": 5},
    }
    refused = OpError("Nodes 1 and 2 are already connected.", code="duplicate_edge")
    assert error_frame(refused, None) == {
        "type": "error",
        "code": "duplicate_edge",
        "message": "Nodes 1 and 2 are already connected.",
        "id": None,
    }
    for failure in (OperationalError("lock timeout"), RuntimeError("a bug")):
        assert error_frame(failure, "a2") == {
            "type": "error",
            "code": "unavailable",
            "message": "The server could not apply this now; resend it.",
            "id": "a2",
        }
