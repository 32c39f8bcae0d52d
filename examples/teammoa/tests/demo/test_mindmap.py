"""A team's live mindmap over WebSockets, served by ``make demo``'s runserver (incident 7)."""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import login


def mindmap_ids(base: str, cookie: str) -> dict[str, int]:
    request = urllib.request.Request(f"{base}/teams/", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        page = response.read().decode()
    rows = re.findall(r'<td><a href="/teams/\d+/">(\w+)</a></td>.*?/mindmap/(\d+)/', page)
    return {team: int(pk) for team, pk in rows}


def test_team_members_edit_the_mindmap_live(runserver: str) -> None:
    """Two members of a team connect through runserver (daphne) and see each other's ops."""
    base = f"http://{runserver}"
    jun, hyunwoo = login(base, "jun"), login(base, "hyunwoo")
    backend = mindmap_ids(base, jun)["Backend"]
    url = f"ws://{runserver}/ws/mindmap/{backend}/"
    with (
        connect(url, additional_headers={"Cookie": jun, "Origin": base}, open_timeout=10) as a,
        connect(url, additional_headers={"Cookie": hyunwoo, "Origin": base}, open_timeout=10) as b,
    ):
        assert json.loads(a.recv(timeout=10))["type"] == "snapshot"
        assert json.loads(b.recv(timeout=10))["type"] == "snapshot"
        a.send(
            json.dumps(
                {
                    "type": "op",
                    "op": "node.create",
                    "id": "demo-1",
                    "parent": None,
                    "text": "Ship it",
                    "x": 10,
                    "y": 20,
                }
            )
        )

        def next_applied(ws: object) -> dict[str, object]:
            # Broadcasts may arrive grouped in a "batch" frame (see docs/reference/protocol.md).
            for _ in range(20):
                frame = json.loads(ws.recv(timeout=10))  # type: ignore[attr-defined]
                for inner in frame["frames"] if frame["type"] == "batch" else [frame]:
                    if inner["type"] == "applied":
                        return inner  # type: ignore[no-any-return]
            raise AssertionError("no applied frame")

        seen_by_b = next_applied(b)
        assert next_applied(a)["seq"] == seen_by_b["seq"]
        assert "Ship it" in json.dumps(seen_by_b)


def test_non_member_is_closed_with_4403(runserver: str) -> None:
    """A user outside the team is accepted, then closed with 4403 so it stops retrying."""
    base = f"http://{runserver}"
    minji = login(base, "minji")
    backend = mindmap_ids(base, login(base, "jun"))["Backend"]
    with (
        connect(
            f"ws://{runserver}/ws/mindmap/{backend}/",
            additional_headers={"Cookie": minji, "Origin": base},
            open_timeout=10,
        ) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


def test_foreign_origins_and_huge_frames_are_refused(runserver: str) -> None:
    """Another port's page is closed with 4403; a 1 MiB frame never reaches the app."""
    base = f"http://{runserver}"
    jun = login(base, "jun")
    url = f"ws://{runserver}/ws/mindmap/{mindmap_ids(base, jun)['Backend']}/"
    host, port = runserver.rsplit(":", 1)
    headers = {"Cookie": jun}
    for origin in (f"http://{host}:{int(port) + 1}", f"https://{runserver}"):
        with (
            connect(
                url, additional_headers={"Cookie": jun, "Origin": origin}, open_timeout=10
            ) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None, origin
        assert closed.value.rcvd.code == 4403, origin

    with connect(
        url, additional_headers={**headers, "Origin": base}, open_timeout=10, max_size=None
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        # Over the app's 16 KiB but within daphne's bound: the app answers with an error.
        ws.send(json.dumps({"type": "ping", "pad": "x" * 20_000}))
        frames = [json.loads(ws.recv(timeout=10)) for _ in range(1)]
        while frames[-1]["type"] != "error" and len(frames) < 5:
            frames.append(json.loads(ws.recv(timeout=10)))
        assert frames[-1].get("code") == "message_too_large", frames
        # Far over daphne's bound: the server drops the connection without reading it.
        with contextlib.suppress(ConnectionClosed):  # closed while still sending
            ws.send(json.dumps({"type": "ping", "pad": "x" * (1 << 20)}))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
