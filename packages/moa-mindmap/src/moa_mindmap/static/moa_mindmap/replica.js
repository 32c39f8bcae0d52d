/* The editor's replica of one mindmap: protocol version 1 (docs/reference/protocol.md), no DOM.
 *
 * The server's database is the source of truth. The replica changes only through
 * `applied` frames, applied strictly in sequence order; a gap in the numbers means
 * frames were lost (channel layers drop them silently) and triggers `sync` unless the
 * missing frames turn up within GAP_WAIT_MS. Ops stay pending until acknowledged and
 * are resent after a reconnect or when unanswered; the server applies each op id once.
 *
 * A user action (one key press, one drag) is a list of steps sent one after the other
 * (a step may need the id the server gave the previous one). Its inverse is recorded
 * step by step from the replica as it was just before each step, so undoing a delete
 * recreates the node, moves its children back under it and recreates its connections.
 * The server gives a recreated node a new id: `alias` maps the old id to the new one,
 * so older undo steps that name the old id still reach the node.
 */

export const RESEND_AFTER_MS = 5000;
// The only refusals worth resending: the op itself is fine, the moment was not.
export const RETRY_CODES = ["rate_limited", "unavailable"];
export const RETRY_AFTER_MS = 1000;
export const GAP_WAIT_MS = 300;
const UNDO_LIMIT = 200;

const NODE_FIELDS = ["node", "parent", "source", "target"];

function systemClock() {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle),
  };
}

export class Replica {
  /**
   * @param {object} options
   * @param {(frame: object) => boolean} options.send  sends a frame; false when it cannot
   * @param {object} [options.clock]  now(), setTimeout(), clearTimeout()
   * @param {string} [options.opPrefix]  makes op ids unique per page load
   */
  constructor({ send, clock = systemClock(), opPrefix = Math.random().toString(36).slice(2, 10) }) {
    this.transport = send;
    this.clock = clock;
    this.opPrefix = opPrefix;
    this.opCounter = 0;
    this.nodes = new Map();
    this.edges = new Map();
    this.seq = -1;
    this.synced = false;
    this.me = null;
    this.pending = new Map();
    this.ahead = new Map();
    this.gapTimer = null;
    this.undoStack = [];
    this.redoStack = [];
    this.nodeAlias = new Map();
    this.edgeAlias = new Map();
    this.actions = [];  // queued actions; the first one is running
    this.listeners = { change: [], notice: [], ack: [], snapshot: [], reject: [] };
  }

  on(event, listener) { this.listeners[event].push(listener); }

  emit(event, ...args) { this.listeners[event].forEach((listener) => listener(...args)); }

  send(frame) { return this.synced ? this.transport(frame) : false; }

  // ---- frames from the server ------------------------------------------------

  receive(frame) {
    switch (frame.type) {
      case "batch": frame.frames.forEach((inner) => this.receive(inner)); break;
      case "snapshot": this.loadSnapshot(frame); break;
      case "applied": this.receiveApplied(frame); break;
      case "replay":
        frame.ops.forEach((op) => this.receiveApplied(op));
        this.seq = Math.max(this.seq, frame.seq);
        this.drainAhead();
        break;
      case "rejected": this.receiveRejected(frame); break;
      case "error": this.receiveError(frame); break;
      case "tick":
        if (frame.seq > this.seq && !this.gapTimer) { this.requestSync(); }
        break;
      default: break;
    }
  }

  disconnected() { this.synced = false; }

  loadSnapshot(frame) {
    this.nodes = new Map(frame.nodes.map((n) => [n.id, n]));
    this.edges = new Map(frame.edges.map((e) => [e.id, e]));
    this.seq = frame.seq;
    this.ahead.clear();
    this.stopGapTimer();
    if (frame.you) { this.me = frame.you.session; }
    this.synced = true;
    this.emit("snapshot", frame);
    this.emit("change", { all: true });
    // Resend what was never acknowledged, in the order it was made.
    for (const entry of this.pending.values()) {
      entry.sentAt = this.clock.now();
      this.send(entry.frame);
    }
  }

  receiveApplied(frame) {
    if (frame.seq <= this.seq) { this.acknowledge(frame); return; }
    if (frame.seq > this.seq + 1) {
      // A gap: hold this frame, and sync unless the missing ones turn up.
      this.ahead.set(frame.seq, frame);
      if (!this.gapTimer) {
        this.gapTimer = this.clock.setTimeout(() => { this.gapTimer = null; this.requestSync(); }, GAP_WAIT_MS);
      }
      return;
    }
    this.applyChanges(frame);
    this.drainAhead();
  }

  applyChanges(frame) {
    const change = { nodes: new Set(), edges: new Set(), structure: false };
    for (const node of frame.nodes) {
      const old = this.nodes.get(node.id);
      if (!old || old.parent !== node.parent || old.collapsed !== node.collapsed || old.order !== node.order) {
        change.structure = true;
      }
      this.nodes.set(node.id, node);
      change.nodes.add(node.id);
    }
    for (const edge of frame.edges) { this.edges.set(edge.id, edge); change.edges.add(edge.id); }
    for (const id of frame.deleted_nodes) { this.nodes.delete(id); change.nodes.add(id); change.structure = true; }
    for (const id of frame.deleted_edges) { this.edges.delete(id); change.edges.add(id); }
    this.seq = frame.seq;
    this.acknowledge(frame);
    this.emit("change", change);
  }

  drainAhead() {
    while (this.ahead.has(this.seq + 1)) {
      const next = this.ahead.get(this.seq + 1);
      this.ahead.delete(this.seq + 1);
      this.applyChanges(next);
    }
    for (const seq of [...this.ahead.keys()]) {
      if (seq <= this.seq) { this.ahead.delete(seq); }
    }
    if (!this.ahead.size) { this.stopGapTimer(); }
  }

  stopGapTimer() {
    if (this.gapTimer) { this.clock.clearTimeout(this.gapTimer); this.gapTimer = null; }
  }

  requestSync() { this.send({ type: "sync", since: this.seq }); }

  acknowledge(frame) {
    const entry = this.pending.get(frame.id);
    if (!entry) { return; }
    this.pending.delete(frame.id);
    if (entry.step && entry.step.as !== undefined) {
      const created = entry.step.op === "node.create" ? frame.nodes[0] : frame.edges[0];
      const isNode = entry.step.op === "node.create";
      const alias = isNode ? this.nodeAlias : this.edgeAlias;
      // The id this identity last stood for (a deleted node) now means the new one.
      const old = isNode ? this.resolveNode(entry.step.as) : this.resolveEdge(entry.step.as);
      if (created && created.id !== old) { alias.set(old, created.id); }
    }
    this.emit("ack", frame, entry);
    if (entry.action) { this.stepDone(entry.action); }
  }

  receiveRejected(frame) {
    const entry = this.pending.get(frame.id);
    this.pending.delete(frame.id);
    if (frame.node) {
      this.nodes.set(frame.node.id, frame.node);
      this.emit("change", { nodes: new Set([frame.node.id]), edges: new Set(), structure: true });
    }
    if (entry && entry.action) { this.abortAction(entry.action); }
    this.emit("reject", frame, entry);
    this.emit("notice", "stale");
  }

  receiveError(frame) {
    const entry = frame.id ? this.pending.get(frame.id) : null;
    if (entry && RETRY_CODES.includes(frame.code)) {
      entry.sentAt = this.clock.now() - RESEND_AFTER_MS + RETRY_AFTER_MS;
      return;
    }
    // Any other code is final (invalid_frame, forbidden, not_found...): the same
    // frame would be refused again, so it leaves the pending ops for good.
    if (entry) {
      this.pending.delete(frame.id);
      if (entry.action) { this.abortAction(entry.action); }
      this.emit("reject", frame, entry);
    }
    this.emit("notice", frame.code, frame.message);
  }

  /** Resend ops left unanswered for RESEND_AFTER_MS (or a retry delay); call once a second. */
  resendDue() {
    const now = this.clock.now();
    for (const entry of this.pending.values()) {
      if (now - entry.sentAt >= RESEND_AFTER_MS) { entry.sentAt = now; this.send(entry.frame); }
    }
  }

  // ---- ops -------------------------------------------------------------------

  resolveNode(id) {
    let seen = 0;
    while (this.nodeAlias.has(id) && seen < 10000) { id = this.nodeAlias.get(id); seen += 1; }
    return id;
  }

  resolveEdge(id) {
    let seen = 0;
    while (this.edgeAlias.has(id) && seen < 10000) { id = this.edgeAlias.get(id); seen += 1; }
    return id;
  }

  /** Send one op now, outside any action (a drag's intermediate moves); return its id. */
  sendOp(op, fields, extra = {}) {
    this.opCounter += 1;
    const id = this.opPrefix + "-" + this.opCounter;
    const frame = { type: "op", op, id, ...fields };
    const node = fields.node !== undefined ? this.nodes.get(fields.node) : null;
    if (node && op !== "node.create") { frame.base_version = node.version; }
    this.pending.set(id, { frame, sentAt: this.clock.now(), ...extra });
    this.send(frame);
    return id;
  }

  /**
   * Run one user action: `steps` are {op, fields, as?, before?}, sent in order.
   * `origin` is "do" (clears redo), "undo" (its inverse goes to redo) or "redo".
   */
  perform(steps, origin = "do") {
    const action = { steps: [...steps], index: 0, inverse: [], origin, current: null };
    this.actions.push(action);
    if (this.actions.length === 1) { this.runStep(action); }
    return action;
  }

  runStep(action) {
    while (action.index < action.steps.length) {
      const step = action.steps[action.index];
      const fields = this.resolveFields(step);
      if (fields === null) { action.index += 1; continue; }  // its node is gone: skip
      action.inverse.push(this.inverseOf(step, fields));
      action.current = this.sendOp(step.op, fields, { step, action });
      return;
    }
    this.finishAction(action);
  }

  resolveFields(step) {
    const fields = { ...step.fields };
    for (const name of NODE_FIELDS) {
      if (typeof fields[name] === "number" || typeof fields[name] === "string") {
        fields[name] = this.resolveNode(fields[name]);
      }
    }
    if (fields.edge !== undefined) { fields.edge = this.resolveEdge(fields.edge); }
    if (fields.node !== undefined && !this.nodes.has(fields.node)) { return null; }
    if (fields.edge !== undefined && !this.edges.has(fields.edge)) { return null; }
    for (const name of ["parent", "source", "target"]) {
      if (fields[name] !== undefined && fields[name] !== null && !this.nodes.has(fields[name])) {
        if (name === "parent") { fields.parent = null; } else { return null; }
      }
    }
    return fields;
  }

  stepDone(action) {
    action.index += 1;
    action.current = null;
    this.runStep(action);
  }

  abortAction(action) {
    action.steps.length = action.index;  // what was applied stays; its inverse is kept
    action.inverse.pop();
    action.current = null;
    this.finishAction(action);
  }

  finishAction(action) {
    if (this.actions[0] === action) { this.actions.shift(); }
    const inverse = action.inverse.reverse().flat();
    if (inverse.length) {
      if (action.origin === "undo") { this.redoStack.push(inverse); }
      else {
        this.undoStack.push(inverse);
        if (this.undoStack.length > UNDO_LIMIT) { this.undoStack.shift(); }
        if (action.origin === "do") { this.redoStack = []; }
      }
    }
    if (this.actions.length) { this.runStep(this.actions[0]); }
  }

  undo() { const steps = this.undoStack.pop(); if (steps) { this.perform(steps, "undo"); } }

  redo() { const steps = this.redoStack.pop(); if (steps) { this.perform(steps, "redo"); } }

  newIdentity() { this.opCounter += 1; return "new-" + this.opCounter; }

  /** The steps that undo `step` (whose ids are resolved in `fields`), read from the replica now. */
  inverseOf(step, fields) {
    if (step.op === "node.create") {
      if (step.as === undefined) { step.as = this.newIdentity(); }
      return [{ op: "node.delete", fields: { node: step.as } }];
    }
    if (step.op === "edge.create") {
      if (step.as === undefined) { step.as = this.newIdentity(); }
      return [{ op: "edge.delete", fields: { edge: step.as } }];
    }
    if (step.op === "edge.delete") {
      const edge = this.edges.get(fields.edge);
      return [{ op: "edge.create", as: step.fields.edge,
        fields: { source: edge.source, target: edge.target, label: edge.label } }];
    }
    const node = step.before || this.nodes.get(fields.node);
    const identity = step.fields.node;
    if (step.op === "node.update") {
      const back = { node: identity };
      for (const name of ["text", "color", "collapsed"]) {
        if (name in fields) { back[name] = node[name]; }
      }
      return [{ op: "node.update", fields: back }];
    }
    if (step.op === "node.move") {
      const back = { node: identity, x: node.x, y: node.y };
      if ("parent" in fields) {
        back.parent = node.parent;
        back.index = this.indexAmongSiblings(node);
      }
      return [{ op: "node.move", fields: back }];
    }
    if (step.op === "node.delete") { return this.recreationOf(node, identity); }
    return [];
  }

  indexAmongSiblings(node) {
    return this.childrenOf(node.parent).findIndex((n) => n.id === node.id);
  }

  /** The children of `parentId` (null: the roots) in their order. */
  childrenOf(parentId) {
    const children = [];
    for (const n of this.nodes.values()) { if (n.parent === parentId) { children.push(n); } }
    children.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.id - b.id));
    return children;
  }

  /** Steps that bring back `node` as it is now: itself, its place, its children, its edges. */
  recreationOf(node, identity) {
    const steps = [{
      op: "node.create", as: identity,
      fields: { parent: node.parent, text: node.text, x: node.x, y: node.y, color: node.color,
        index: this.indexAmongSiblings(node) },
    }];
    if (node.collapsed) { steps.push({ op: "node.update", fields: { node: identity, collapsed: true } }); }
    this.childrenOf(node.id).forEach((child, index) => {
      steps.push({ op: "node.move", fields: { node: child.id, x: child.x, y: child.y, parent: identity, index } });
    });
    for (const edge of this.edges.values()) {
      if (edge.source === node.id || edge.target === node.id) {
        steps.push({ op: "edge.create", as: edge.id, fields: {
          source: edge.source === node.id ? identity : edge.source,
          target: edge.target === node.id ? identity : edge.target,
          label: edge.label } });
      }
    }
    return steps;
  }
}
