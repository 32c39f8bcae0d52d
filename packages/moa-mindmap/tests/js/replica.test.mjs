// The editor's replica without a browser: sequence numbers, gaps, resync, resend, undo.
import assert from "node:assert/strict";
import { test } from "node:test";

import { load } from "./static.mjs";

const { GAP_WAIT_MS, RESEND_AFTER_MS, Replica } = await load("replica.js");

function fakeClock() {
  const clock = {
    time: 0, timers: [],
    now: () => clock.time,
    setTimeout(fn, ms) { const t = { fn, at: clock.time + ms }; clock.timers.push(t); return t; },
    clearTimeout(t) { clock.timers = clock.timers.filter((x) => x !== t); },
    advance(ms) {
      clock.time += ms;
      for (const t of clock.timers.filter((x) => x.at <= clock.time)) { clock.clearTimeout(t); t.fn(); }
    },
  };
  return clock;
}

/** A replica wired to a tiny in-memory server that applies ops as protocol version 1 says. */
function setup({ nodes = [], edges = [], seq = 0, online = true } = {}) {
  const clock = fakeClock();
  const sent = [];
  const server = { nodes: new Map(), edges: new Map(), seq, nextNode: 100, nextEdge: 500, online };
  for (const n of nodes) { server.nodes.set(n.id, { version: 1, order: "a", collapsed: false, color: "#ffffff", text: "", ...n }); }
  for (const e of edges) { server.edges.set(e.id, { label: "", ...e }); }
  const replica = new Replica({ send: (frame) => { sent.push(frame); return server.online; }, clock, opPrefix: "t" });
  const snapshot = () => ({ type: "snapshot", seq: server.seq, nodes: [...server.nodes.values()].map((n) => ({ ...n })),
    edges: [...server.edges.values()].map((e) => ({ ...e })), you: { session: "me" } });
  replica.receive(snapshot());
  /** Apply every op the replica sent since the last call, answering as the server does. */
  function answer() {
    while (sent.length) {
      const frame = sent.shift();
      if (frame.type !== "op") { continue; }
      replica.receive(apply(frame));
    }
  }
  function siblings(parent) {
    return [...server.nodes.values()].filter((n) => n.parent === parent)
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.id - b.id));
  }
  function place(node, index) {
    const others = siblings(node.parent).filter((n) => n.id !== node.id);
    const at = index === undefined || index === null ? others.length : Math.min(index, others.length);
    others.splice(at, 0, node);
    others.forEach((n, i) => { n.order = String.fromCharCode(98 + i); n.version += n === node ? 0 : 1; });
    return others;
  }
  function apply(frame) {
    const out = { type: "applied", id: frame.id, op: frame.op, by: 1, nodes: [], edges: [], deleted_nodes: [], deleted_edges: [] };
    if (frame.op === "node.create") {
      const node = { id: server.nextNode++, parent: frame.parent ?? null, text: frame.text ?? "", x: frame.x ?? 0,
        y: frame.y ?? 0, color: frame.color ?? "#ffffff", collapsed: false, order: "", version: 1 };
      server.nodes.set(node.id, node);
      out.nodes = place(node, frame.index).map((n) => ({ ...n }));
      out.nodes.sort((a, b) => (a.id === node.id ? -1 : b.id === node.id ? 1 : 0));
    } else if (frame.op === "node.update" || frame.op === "node.move") {
      const node = server.nodes.get(frame.node);
      if (!node) { return { type: "error", code: "not_found", message: "gone", id: frame.id }; }
      if (frame.base_version !== node.version) { return { type: "rejected", id: frame.id, reason: "stale", node: { ...node } }; }
      for (const k of ["text", "color", "collapsed", "x", "y"]) { if (k in frame) { node[k] = frame[k]; } }
      node.version += 1;
      let changed = [node];
      if ("parent" in frame) { node.parent = frame.parent; changed = place(node, frame.index); }
      out.nodes = changed.map((n) => ({ ...n }));
    } else if (frame.op === "node.delete") {
      const node = server.nodes.get(frame.node);
      server.nodes.delete(node.id);
      out.deleted_nodes = [node.id];
      for (const child of server.nodes.values()) {
        if (child.parent === node.id) { child.parent = node.parent; child.version += 1; out.nodes.push({ ...child }); }
      }
      for (const e of [...server.edges.values()]) {
        if (e.source === node.id || e.target === node.id) { server.edges.delete(e.id); out.deleted_edges.push(e.id); }
      }
    } else if (frame.op === "edge.create") {
      const edge = { id: server.nextEdge++, source: frame.source, target: frame.target, label: frame.label ?? "" };
      server.edges.set(edge.id, edge);
      out.edges = [{ ...edge }];
    } else if (frame.op === "edge.delete") {
      server.edges.delete(frame.edge);
      out.deleted_edges = [frame.edge];
    }
    server.seq += 1;
    out.seq = server.seq;
    return out;
  }
  /** What the server holds, with ids replaced by texts so recreated nodes compare equal. */
  function shape(source = server) {
    const text = (id) => (id === null ? null : source.nodes.get(id).text);
    return {
      nodes: [...source.nodes.values()].map((n) => `${n.text}<${text(n.parent)}@${n.x},${n.y}`).sort(),
      edges: [...source.edges.values()].map((e) => `${text(e.source)}-${e.label}->${text(e.target)}`).sort(),
      order: [...source.nodes.values()].map((n) => `${n.text}:` + siblings(n.id).map((c) => source.nodes.get(c.id)?.text ?? "?").join(",")).sort(),
    };
  }
  return { replica, server, sent, clock, answer, apply, snapshot, shape };
}

const applied = (seq, nodes = [], extra = {}) => ({ type: "applied", seq, id: null, op: "node.update", by: 2,
  nodes, edges: [], deleted_nodes: [], deleted_edges: [], ...extra });

test("applied frames are applied in sequence order; old ones are ignored", () => {
  const { replica } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  replica.receive(applied(4, [{ id: 1, text: "b", version: 2 }]));
  replica.receive(applied(4, [{ id: 1, text: "stale", version: 2 }]));
  assert.equal(replica.seq, 4);
  assert.equal(replica.nodes.get(1).text, "b");
});

test("a frame ahead of a gap is held, and applied once the gap fills", () => {
  const { replica, sent } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  replica.receive(applied(6, [{ id: 1, text: "six" }]));
  replica.receive(applied(5, [{ id: 1, text: "five" }]));
  assert.equal(replica.seq, 3);
  assert.equal(replica.nodes.get(1).text, "a");
  replica.receive(applied(4, [{ id: 1, text: "four" }]));
  assert.equal(replica.seq, 6);
  assert.equal(replica.nodes.get(1).text, "six");
  assert.equal(replica.ahead.size, 0);
  assert.deepEqual(sent.filter((f) => f.type === "sync"), []);
});

test("a gap that is not filled in time asks for a sync; the replay fills it", () => {
  const { replica, sent, clock } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  replica.receive(applied(5, [{ id: 1, text: "five" }]));
  clock.advance(GAP_WAIT_MS - 1);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, [{ type: "sync", since: 3 }]);
  replica.receive({ type: "replay", since: 3, seq: 5, ops: [applied(4, [{ id: 1, text: "four" }]), applied(5, [{ id: 1, text: "five" }])] });
  assert.equal(replica.seq, 5);
  assert.equal(replica.nodes.get(1).text, "five");
  assert.equal(replica.ahead.size, 0);
});

test("a tick ahead of the replica asks for a sync; a snapshot replaces everything", () => {
  const { replica, sent } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  replica.receive({ type: "tick", seq: 9 });
  assert.deepEqual(sent, [{ type: "sync", since: 3 }]);
  replica.receive({ type: "snapshot", seq: 9, nodes: [{ id: 2, text: "z", parent: null }], edges: [] });
  assert.deepEqual([...replica.nodes.keys()], [2]);
  assert.equal(replica.seq, 9);
});

test("an op stays pending until acknowledged, and is resent when unanswered and after a reconnect", () => {
  const { replica, sent, clock, server } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  replica.perform([{ op: "node.update", fields: { node: 1, text: "b" } }]);
  assert.equal(replica.pending.size, 1);
  const [frame] = sent;
  assert.deepEqual({ op: frame.op, node: frame.node, base_version: frame.base_version, text: frame.text },
    { op: "node.update", node: 1, base_version: 1, text: "b" });
  clock.advance(RESEND_AFTER_MS);
  replica.resendDue();
  assert.deepEqual(sent.map((f) => f.id), [frame.id, frame.id]);
  // Offline: nothing goes out; the snapshot after reconnecting resends it.
  replica.disconnected();
  sent.length = 0;
  clock.advance(RESEND_AFTER_MS);
  replica.resendDue();
  assert.deepEqual(sent, []);
  replica.receive({ type: "snapshot", seq: server.seq, nodes: [...server.nodes.values()], edges: [] });
  assert.deepEqual(sent.map((f) => f.id), [frame.id]);
  replica.receive({ ...applied(4, [{ id: 1, text: "b", version: 2 }]), id: frame.id });
  assert.equal(replica.pending.size, 0);
});

test("only rate_limited and unavailable are retried; any other error drops the op", () => {
  const { replica, sent, clock } = setup({ nodes: [{ id: 1, text: "a" }], seq: 3 });
  const notices = [];
  replica.on("notice", (code) => notices.push(code));
  for (const code of ["rate_limited", "unavailable"]) {
    sent.length = 0;
    replica.perform([{ op: "node.update", fields: { node: 1, text: code } }]);
    const id = sent[0].id;
    replica.receive({ type: "error", code, message: "later", id });
    assert.ok(replica.pending.has(id));
    clock.advance(999);
    replica.resendDue();
    assert.equal(sent.length, 1);
    clock.advance(1);
    replica.resendDue();
    assert.deepEqual(sent.map((f) => f.id), [id, id]);
    replica.receive({ ...applied(replica.seq + 1, [{ id: 1, text: code }]), id });
  }
  for (const code of ["forbidden", "invalid_frame", "not_found", "text_too_long"]) {
    sent.length = 0;
    replica.perform([{ op: "node.update", fields: { node: 1, text: code } }]);
    replica.receive({ type: "error", code, message: "no", id: sent[0].id });
    assert.equal(replica.pending.size, 0, code);
  }
  assert.deepEqual(notices, ["forbidden", "invalid_frame", "not_found", "text_too_long"]);
});

test("undo and redo of a text edit", () => {
  const { replica, answer, server } = setup({ nodes: [{ id: 1, text: "a" }] });
  replica.perform([{ op: "node.update", fields: { node: 1, text: "b" } }]);
  answer();
  replica.undo();
  answer();
  assert.equal(server.nodes.get(1).text, "a");
  replica.redo();
  answer();
  assert.equal(server.nodes.get(1).text, "b");
  assert.equal(replica.nodes.get(1).text, "b");
});

test("undoing the delete of a node brings back its children, connections and place", () => {
  const nodes = [
    { id: 1, text: "root", parent: null, order: "a" },
    { id: 2, text: "first", parent: 1, order: "a", x: 5 },
    { id: 3, text: "parent", parent: 1, order: "b", x: 7, y: 9, color: "#ffe08a" },
    { id: 4, text: "last", parent: 1, order: "c" },
    { id: 5, text: "kid one", parent: 3, order: "a" },
    { id: 6, text: "kid two", parent: 3, order: "b" },
    { id: 7, text: "grandkid", parent: 5, order: "a" },
    { id: 8, text: "elsewhere", parent: null, order: "b" },
  ];
  const edges = [{ id: 1, source: 3, target: 8, label: "needs" }, { id: 2, source: 4, target: 3, label: "" },
    { id: 3, source: 2, target: 8, label: "untouched" }];
  const { replica, answer, shape, server } = setup({ nodes, edges });
  const before = shape();
  replica.perform([{ op: "node.delete", fields: { node: 3 } }]);
  answer();
  assert.notDeepEqual(shape(), before);
  assert.equal(server.nodes.get(5).parent, 1);
  replica.undo();
  answer();
  assert.deepEqual(shape(), before);
  assert.deepEqual(shape(replica), before);
  assert.equal(replica.pending.size, 0);
  // Redo deletes the recreated node; undo again restores it a second time.
  replica.redo();
  answer();
  assert.equal([...server.nodes.values()].some((n) => n.text === "parent"), false);
  replica.undo();
  answer();
  assert.deepEqual(shape(), before);
});

test("older undo steps follow a recreated node to its new id", () => {
  const { replica, answer, server } = setup({ nodes: [{ id: 1, text: "a" }] });
  replica.perform([{ op: "node.update", fields: { node: 1, text: "b" } }]);
  answer();
  replica.perform([{ op: "node.delete", fields: { node: 1 } }]);
  answer();
  replica.undo();  // recreates "b" with a new id
  answer();
  replica.undo();  // the rename's undo reaches the new node
  answer();
  assert.deepEqual([...server.nodes.values()].map((n) => n.text), ["a"]);
  assert.ok(!server.nodes.has(1));
});

test("undo of a create deletes the node; redo creates it again and its later edits follow", () => {
  const { replica, answer, server } = setup({ nodes: [] });
  replica.perform([{ op: "node.create", fields: { parent: null, text: "", x: 1, y: 2 } }]);
  answer();
  const [id] = server.nodes.keys();
  replica.perform([{ op: "node.update", fields: { node: id, text: "named" } }]);
  answer();
  replica.undo();
  replica.undo();
  answer();
  assert.equal(server.nodes.size, 0);
  replica.redo();
  replica.redo();
  answer();
  assert.deepEqual([...server.nodes.values()].map((n) => n.text), ["named"]);
});

test("a stale step stops its action; what was applied can still be undone", () => {
  const { replica, server, sent } = setup({ nodes: [{ id: 1, text: "a" }, { id: 2, text: "b" }] });
  replica.perform([{ op: "node.update", fields: { node: 1, text: "A" } }, { op: "node.update", fields: { node: 2, text: "B" } }]);
  replica.receive(server_apply(server, sent.shift(), replica));
  server.nodes.get(2).version = 7;  // someone else edited it meanwhile
  replica.receive({ type: "rejected", id: sent.shift().id, reason: "stale", node: { ...server.nodes.get(2) } });
  assert.equal(replica.pending.size, 0);
  assert.equal(replica.undoStack.length, 1);
  assert.equal(replica.undoStack[0].length, 1);
});

function server_apply(server, frame, replica) {
  const node = server.nodes.get(frame.node);
  node.text = frame.text;
  node.version += 1;
  server.seq += 1;
  return { ...applied(server.seq, [{ ...node }]), id: frame.id, op: frame.op };
}
