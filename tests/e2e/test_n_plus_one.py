"""Incident 8, N+1 queries on a list page: the mindmap list renders with the detector armed.

Production logs N+1 queries (MOA_QUERIES_NPLUSONE_MODE = "log"); here an instance runs the
same settings with the detector set to "raise", so one repeated lazy load on the page would
turn it into a 500. That the detector does catch an N+1 (and misses nothing in a fixed list)
is proven by moa-queries' own tests; this proves the shipped list page has none, on
PostgreSQL, through nginx, with several mindmaps and members.
"""

from __future__ import annotations

from e2e_harness.client import Browser
from e2e_harness.stack import Stack


def test_mindmap_list_has_no_n_plus_one(mindmap_stack: Stack, spawn) -> None:
    """The list page answers 200 listing every mindmap while any N+1 would raise."""
    stack = mindmap_stack
    instance = spawn.instance("nplusone-raise", 'MOA_QUERIES_NPLUSONE_MODE = "raise"')
    nginx = spawn.nginx("nginx-nplusone", [instance.port])
    browser = Browser(nginx, stack.cert)
    browser.cookies[stack.seed["session_cookie"]] = stack.seed["sessions"]["user0"]

    page = browser.request("GET", "/mindmap/")

    assert page.status == 200, page.body[-2000:]
    html = page.body.decode()
    for title in stack.seed["mindmaps"]:
        assert title in html
