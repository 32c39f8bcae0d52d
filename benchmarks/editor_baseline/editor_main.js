/* moa-mindmap editor: dependency-free, speaks protocol version 1 (docs/reference/protocol.md).
 *
 * The server's database is the source of truth. The editor keeps a replica
 * that changes only through `applied` frames, applied strictly in sequence
 * order; a gap in the numbers means frames were lost (channel layers drop
 * them silently) and triggers `sync`. Ops stay pending until acknowledged and
 * are resent after a reconnect; the server applies each op id once.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#ffffff", "#ffe08a", "#b8f2c7", "#b8dcff", "#f5c2e7", "#ffb3a7"];
  var RESEND_AFTER_MS = 5000;
  // The only refusals worth resending: the op itself is fine, the moment was not.
  var RETRY_CODES = ["rate_limited", "unavailable"];
  var RETRY_AFTER_MS = 1000;
  var GAP_WAIT_MS = 300;
  var DRAG_SEND_MS = 80;
  var NODE_HEIGHT = 30;
  var REFUSALS = {
    4401: "Please log in to edit this mindmap.",
    4403: "You may not open this mindmap here.",
    4404: "This mindmap does not exist."
  };

  var root = document.getElementById("mm-editor");
  if (!root) { return; }
  var config = JSON.parse(document.getElementById("mm-config").textContent);
  var $ = function (role) { return root.querySelector('[data-role="' + role + '"]'); };
  var svg = $("canvas"), viewport = $("viewport");
  var layers = { links: $("links"), nodes: $("nodes"), cursors: $("cursors") };
  var statusEl = $("status"), peopleEl = $("people");

  var state = {
    nodes: new Map(), edges: new Map(), seq: -1, synced: false,
    pending: new Map(), ahead: new Map(), peers: new Map(),
    me: null, selected: null, selectedEdge: null, connectFrom: null,
    view: { x: 0, y: 0, scale: 1 }, undo: [], redo: [], closedFor: null
  };
  var ws = null, attempt = 0, gapTimer = null, renderQueued = false, peersQueued = false;
  var opPrefix = Math.random().toString(36).slice(2, 10), opCounter = 0;
  var drag = null, pan = null, editing = null, lastCursorAt = 0;
  // Node elements by id, updated in place, so the element under the pointer survives
  // redraws (a double-click or a drag spans several of them).
  var nodeElements = new Map();

  // ---- connection ---------------------------------------------------------

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + config.socketPath);
    setStatus("Connecting…", "connecting");
    ws.onopen = function () { attempt = 0; };
    ws.onmessage = function (event) { receive(JSON.parse(event.data)); };
    ws.onclose = function (event) {
      state.synced = false;
      state.peers.clear();
      renderPeersSoon();
      if (REFUSALS[event.code]) {
        state.closedFor = event.code;
        setStatus(REFUSALS[event.code], "refused");
        return;  // A refusal will not change by retrying.
      }
      // Exponential backoff with full jitter, capped at 30 s.
      var delay = Math.random() * Math.min(30000, 500 * Math.pow(2, attempt));
      attempt += 1;
      setStatus("Offline, reconnecting…", "offline");
      setTimeout(connect, delay);
    };
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN && state.synced) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.dataset.state = kind;
  }

  // ---- frames from the server ----------------------------------------------

  function receive(frame) {
    switch (frame.type) {
      case "batch": frame.frames.forEach(receive); break;
      case "snapshot": loadSnapshot(frame); break;
      case "applied": receiveApplied(frame); break;
      case "replay":
        frame.ops.forEach(receiveApplied);
        state.seq = Math.max(state.seq, frame.seq);
        drainAhead();
        break;
      case "rejected": receiveRejected(frame); break;
      case "error": receiveError(frame); break;
      case "presence": receivePresence(frame); break;
      case "cursor": receiveCursor(frame); break;
      case "tick":
        if (frame.seq > state.seq && !gapTimer) { requestSync(); }
        break;
      default: break;
    }
  }

  function loadSnapshot(frame) {
    state.nodes = new Map(frame.nodes.map(function (n) { return [n.id, n]; }));
    state.edges = new Map(frame.edges.map(function (e) { return [e.id, e]; }));
    state.seq = frame.seq;
    state.ahead.clear();
    if (frame.you) { state.me = frame.you.session; }
    if (frame.present) {
      frame.present.forEach(function (p) {
        if (p.session !== state.me) { state.peers.set(p.session, peer(p)); }
      });
    }
    state.synced = true;
    setStatus("Connected", "connected");
    // Resend what was never acknowledged; the server applies an op id once.
    state.pending.forEach(function (entry) { entry.sentAt = Date.now(); send(entry.frame); });
    renderSoon();
  }

  function receiveApplied(frame) {
    if (frame.seq <= state.seq) { acknowledge(frame); return; }
    if (frame.seq > state.seq + 1) {
      // A gap: hold this frame, and sync unless the missing ones turn up.
      state.ahead.set(frame.seq, frame);
      if (!gapTimer) { gapTimer = setTimeout(requestSync, GAP_WAIT_MS); }
      return;
    }
    applyChanges(frame);
    state.seq = frame.seq;
    acknowledge(frame);
    drainAhead();
  }

  function drainAhead() {
    while (state.ahead.has(state.seq + 1)) {
      var next = state.ahead.get(state.seq + 1);
      state.ahead.delete(state.seq + 1);
      applyChanges(next);
      state.seq = next.seq;
      acknowledge(next);
    }
    Array.from(state.ahead.keys()).forEach(function (seq) {
      if (seq <= state.seq) { state.ahead.delete(seq); }
    });
    if (!state.ahead.size && gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
    renderSoon();
  }

  function requestSync() {
    gapTimer = null;
    if (!send({ type: "sync", since: state.seq })) { return; }
  }

  function applyChanges(frame) {
    frame.nodes.forEach(function (node) {
      if (drag && drag.id === node.id) {
        // Keep showing where the pointer holds it; learn the new version.
        node = Object.assign({}, node, { x: drag.x, y: drag.y });
      }
      state.nodes.set(node.id, node);
    });
    frame.edges.forEach(function (edge) { state.edges.set(edge.id, edge); });
    frame.deleted_nodes.forEach(function (id) {
      state.nodes.delete(id);
      if (state.selected === id) { state.selected = null; }
    });
    frame.deleted_edges.forEach(function (id) { state.edges.delete(id); });
    renderSoon();
  }

  function acknowledge(frame) {
    var entry = state.pending.get(frame.id);
    if (!entry) { return; }
    state.pending.delete(frame.id);
    var inverse = entry.origin === "drag" ? null : inverseOf(entry, frame);
    if (inverse) {
      if (entry.origin === "undo") { state.redo.push(inverse); }
      else {
        state.undo.push(inverse);
        if (entry.origin === "do") { state.redo = []; }
      }
    }
    if (entry.then) { entry.then(frame); }
    if (drag && drag.sentId === frame.id) { drag.sentId = null; if (drag.done) { sendDragMove(); } }
  }

  function receiveRejected(frame) {
    state.pending.delete(frame.id);
    if (frame.node) { state.nodes.set(frame.node.id, frame.node); }
    if (drag && drag.sentId === frame.id) { drag = null; }
    flash("Someone else changed this node first; your change was not applied.");
    renderSoon();
  }

  function receiveError(frame) {
    var entry = frame.id ? state.pending.get(frame.id) : null;
    if (entry && RETRY_CODES.indexOf(frame.code) !== -1) {
      setTimeout(function () { entry.sentAt = Date.now(); send(entry.frame); }, RETRY_AFTER_MS);
      return;
    }
    // Any other code is final (invalid_frame, forbidden, not_found...): the same
    // frame would be refused again, so it leaves the pending ops for good.
    if (entry) { state.pending.delete(frame.id); }
    if (drag && drag.sentId === frame.id) { drag.sentId = null; }
    flash(frame.message);
  }

  function peer(frame) {
    return { session: frame.session, user: frame.user, x: null, y: null, seenAt: Date.now() };
  }

  function receivePresence(frame) {
    if (frame.event === "leave") { state.peers.delete(frame.session); }
    else {
      var known = state.peers.get(frame.session) || peer(frame);
      known.seenAt = Date.now();
      state.peers.set(frame.session, known);
    }
    renderPeersSoon();
  }

  function receiveCursor(frame) {
    var known = state.peers.get(frame.session) || peer(frame);
    known.x = frame.x; known.y = frame.y; known.seenAt = Date.now();
    state.peers.set(frame.session, known);
    renderPeersSoon();
  }

  var flashTimer = null;
  function flash(message) {
    setStatus(message, "notice");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () {
      if (state.synced) { setStatus("Connected", "connected"); }
    }, 4000);
  }

  // ---- ops ------------------------------------------------------------------

  function sendOp(op, fields, options) {
    options = options || {};
    if (!config.canEdit) { flash("You may view this mindmap but not edit it."); return null; }
    opCounter += 1;
    var id = opPrefix + "-" + opCounter;
    var frame = Object.assign({ type: "op", op: op, id: id }, fields);
    var node = fields.node !== undefined ? state.nodes.get(fields.node) : null;
    if (node && op !== "node.create") { frame.base_version = node.version; }
    state.pending.set(id, {
      frame: frame, sentAt: Date.now(), origin: options.origin || "do",
      before: options.before || snapshotOf(op, fields), then: options.then || null
    });
    send(frame);
    return id;
  }

  function snapshotOf(op, fields) {
    if (fields.node !== undefined && state.nodes.has(fields.node)) {
      return Object.assign({}, state.nodes.get(fields.node));
    }
    if (fields.edge !== undefined && state.edges.has(fields.edge)) {
      return Object.assign({}, state.edges.get(fields.edge));
    }
    return null;
  }

  function inverseOf(entry, applied) {
    var op = entry.frame.op, before = entry.before;
    if (op === "node.create") { return { op: "node.delete", fields: { node: applied.nodes[0].id } }; }
    if (op === "edge.create") { return { op: "edge.delete", fields: { edge: applied.edges[0].id } }; }
    if (!before) { return null; }
    if (op === "node.update") {
      var fields = { node: before.id };
      ["text", "color", "collapsed"].forEach(function (name) {
        if (name in entry.frame) { fields[name] = before[name]; }
      });
      return { op: "node.update", fields: fields };
    }
    if (op === "node.move") {
      return { op: "node.move", fields: { node: before.id, x: before.x, y: before.y, parent: before.parent } };
    }
    if (op === "node.delete") {
      return { op: "node.create", fields: {
        parent: state.nodes.has(before.parent) ? before.parent : null,
        text: before.text, x: before.x, y: before.y, color: before.color } };
    }
    if (op === "edge.delete") {
      return { op: "edge.create", fields: { source: before.source, target: before.target, label: before.label } };
    }
    return null;
  }

  function undoOrRedo(stack, origin) {
    var step = stack.pop();
    if (!step) { return; }
    var target = step.fields.node;
    if (target !== undefined && step.op !== "node.create" && !state.nodes.has(target)) { return; }
    sendOp(step.op, step.fields, { origin: origin });
  }

  setInterval(function () {
    var now = Date.now();
    state.pending.forEach(function (entry) {
      if (now - entry.sentAt > RESEND_AFTER_MS) { entry.sentAt = now; send(entry.frame); }
    });
    var expiry = 3000 * (config.heartbeatInterval || 20);
    state.peers.forEach(function (p, session) {
      if (now - p.seenAt > expiry) { state.peers.delete(session); renderPeersSoon(); }
    });
  }, 1000);

  // ---- rendering ------------------------------------------------------------

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function nodeWidth(node) { return Math.max(80, Math.min(320, 16 + node.text.length * 7.5)); }

  function sortedChildren(parentId) {
    var children = [];
    state.nodes.forEach(function (n) { if (n.parent === parentId) { children.push(n); } });
    children.sort(function (a, b) {
      return a.order < b.order ? -1 : a.order > b.order ? 1 : a.id - b.id;
    });
    return children;
  }

  function isHidden(node) {
    var seen = 0, parent = state.nodes.get(node.parent);
    while (parent && seen < 10000) {
      if (parent.collapsed) { return true; }
      parent = state.nodes.get(parent.parent);
      seen += 1;
    }
    return false;
  }

  function center(node) { return { x: node.x + nodeWidth(node) / 2, y: node.y + NODE_HEIGHT / 2 }; }

  function renderSoon() {
    if (renderQueued) { return; }
    renderQueued = true;
    requestAnimationFrame(render);
  }

  // Peers' cursors and presence redraw only their own layer: a stream of cursor frames
  // must not rebuild the nodes under the local user's pointer (a double-click whose two
  // clicks land on two different elements never becomes a dblclick).
  function renderPeersSoon() {
    if (renderQueued || peersQueued) { return; }
    peersQueued = true;
    requestAnimationFrame(function () { peersQueued = false; renderPeers(); });
  }

  function render() {
    renderQueued = false;
    var v = state.view;
    viewport.setAttribute("transform", "translate(" + v.x + "," + v.y + ") scale(" + v.scale + ")");
    layers.links.textContent = "";
    var visible = new Map();
    state.nodes.forEach(function (n) { if (!isHidden(n)) { visible.set(n.id, n); } });
    visible.forEach(function (n) {
      var parent = visible.get(n.parent);
      if (!parent) { return; }
      var a = center(parent), b = center(n);
      el("path", { "class": "mm-link", d: "M" + a.x + "," + a.y + " C" + (a.x + b.x) / 2 + "," + a.y +
        " " + (a.x + b.x) / 2 + "," + b.y + " " + b.x + "," + b.y }, layers.links);
    });
    state.edges.forEach(function (edge) {
      var s = visible.get(edge.source), t = visible.get(edge.target);
      if (!s || !t) { return; }
      var a = center(s), b = center(t);
      var g = el("g", { "class": "mm-edge" + (state.selectedEdge === edge.id ? " is-selected" : ""),
        "data-edge": edge.id }, layers.links);
      el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y }, g);
      el("line", { "class": "mm-edge-hit", x1: a.x, y1: a.y, x2: b.x, y2: b.y }, g);
      if (edge.label) {
        el("text", { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4 }, g).textContent = edge.label;
      }
    });
    visible.forEach(renderNode);
    nodeElements.forEach(function (g, id) {
      if (!visible.has(id)) { g.remove(); nodeElements.delete(id); }
    });
    renderPeers();
    root.dataset.seq = state.seq;
    root.dataset.pending = state.pending.size;
  }

  function renderNode(n) {
    var g = nodeElements.get(n.id);
    if (!g) {
      g = el("g", { "data-id": n.id }, layers.nodes);
      el("rect", { height: NODE_HEIGHT, rx: 8 }, g);
      el("text", { x: 10, y: 20 }, g);
      nodeElements.set(n.id, g);
    }
    var classes = "mm-node";
    if (state.selected === n.id) { classes += " is-selected"; }
    if (state.connectFrom === n.id) { classes += " is-connecting"; }
    g.setAttribute("class", classes);
    g.setAttribute("transform", "translate(" + n.x + "," + n.y + ")");
    var rect = g.children[0], label = g.children[1], toggle = g.children[2] || null;
    rect.setAttribute("width", nodeWidth(n));
    rect.setAttribute("fill", n.color);
    var text = n.text || "\u00a0";
    if (label.textContent !== text) { label.textContent = text; }
    if (!sortedChildren(n.id).length) {
      if (toggle) { toggle.remove(); }
      return;
    }
    if (!toggle) {
      toggle = el("g", { "class": "mm-toggle", "data-toggle": n.id }, g);
      el("circle", { r: 7 }, toggle);
      el("text", { x: 0, y: 4, "text-anchor": "middle" }, toggle);
    }
    toggle.setAttribute("transform", "translate(" + nodeWidth(n) + "," + NODE_HEIGHT / 2 + ")");
    var sign = n.collapsed ? "+" : "\u2212";
    if (toggle.lastChild.textContent !== sign) { toggle.lastChild.textContent = sign; }
  }

  function renderPeers() {
    layers.cursors.textContent = "";
    state.peers.forEach(function (p) {
      if (p.x === null) { return; }
      var g = el("g", { "class": "mm-cursor", "data-session": p.session,
        transform: "translate(" + p.x + "," + p.y + ")" }, layers.cursors);
      el("path", { d: "M0,0 L0,16 L4,12 L8,20 L10,19 L6,11 L12,11 Z", fill: colorFor(p.session) }, g);
      el("text", { x: 12, y: 24, fill: colorFor(p.session) }, g).textContent = p.user.name;
    });
    var names = [];
    state.peers.forEach(function (p) { names.push(p.user.name); });
    peopleEl.textContent = names.length ? "With: " + names.join(", ") : "";
  }

  function colorFor(session) {
    var hash = 0;
    for (var i = 0; i < session.length; i += 1) { hash = (hash * 31 + session.charCodeAt(i)) >>> 0; }
    return "hsl(" + (hash % 360) + ",70%,40%)";
  }

  // ---- interaction ------------------------------------------------------------

  function toMap(event) {
    var box = svg.getBoundingClientRect(), v = state.view;
    return { x: (event.clientX - box.left - v.x) / v.scale, y: (event.clientY - box.top - v.y) / v.scale };
  }

  function nodeIdOf(target) {
    var g = target.closest && target.closest(".mm-node");
    return g ? Number(g.dataset.id) : null;
  }

  function select(id) {
    state.selected = id;
    state.selectedEdge = null;
    renderSoon();
  }

  function createNode(fields, thenEdit) {
    sendOp("node.create", Object.assign({ text: "" }, fields), {
      then: function (applied) {
        select(applied.nodes[0].id);
        if (thenEdit) { requestAnimationFrame(function () { startEditing(applied.nodes[0].id); }); }
      }
    });
  }

  function addChild() {
    var parent = state.nodes.get(state.selected);
    if (!parent) { return; }
    var count = sortedChildren(parent.id).length;
    createNode({ parent: parent.id, x: parent.x + nodeWidth(parent) + 60, y: parent.y + count * 44 }, true);
  }

  function startEditing(id) {
    var node = state.nodes.get(id);
    var g = layers.nodes.querySelector('[data-id="' + id + '"]');
    if (!node || !g || !config.canEdit) { return; }
    stopEditing(false);
    var box = g.getBoundingClientRect(), host = root.getBoundingClientRect();
    var input = document.createElement("input");
    input.className = "mm-edit";
    input.value = node.text;
    input.maxLength = config.maxTextLength;
    input.style.left = (box.left - host.left) + "px";
    input.style.top = (box.top - host.top) + "px";
    input.style.width = Math.max(160, box.width) + "px";
    input.style.height = box.height + "px";
    root.appendChild(input);
    editing = { id: id, input: input };
    input.addEventListener("keydown", function (event) {
      event.stopPropagation();
      if (event.key === "Enter") { stopEditing(true); }
      if (event.key === "Escape") { stopEditing(false); }
    });
    input.addEventListener("blur", function () { stopEditing(true); });
    input.focus();
    input.select();
  }

  function stopEditing(commit) {
    if (!editing) { return; }
    var current = editing;
    editing = null;
    var node = state.nodes.get(current.id);
    if (commit && node && current.input.value !== node.text) {
      sendOp("node.update", { node: current.id, text: current.input.value });
    }
    current.input.remove();
  }

  function deleteSelected() {
    if (state.selectedEdge !== null) {
      sendOp("edge.delete", { edge: state.selectedEdge });
      state.selectedEdge = null;
    } else if (state.selected !== null && state.nodes.has(state.selected)) {
      sendOp("node.delete", { node: state.selected });
    }
  }

  function sendDragMove() {
    if (!drag || drag.sentId) { return; }  // One move in flight per drag: its ack brings the version.
    var node = state.nodes.get(drag.id);
    if (!node) { drag = null; return; }
    var x = Math.round(drag.x), y = Math.round(drag.y);
    if (x === drag.sentX && y === drag.sentY) {
      if (drag.done) { drag = null; }
      return;
    }
    drag.sentX = x;
    drag.sentY = y;
    drag.sentAt = Date.now();
    // Only the move that ends a drag is undoable, back to where the drag began.
    drag.sentId = sendOp("node.move", { node: drag.id, x: x, y: y }, {
      before: drag.before, origin: drag.done ? "do" : "drag"
    });
    if (drag.done) { drag = null; }
  }

  svg.addEventListener("pointerdown", function (event) {
    var toggle = event.target.closest && event.target.closest(".mm-toggle");
    if (toggle) {
      var folded = state.nodes.get(Number(toggle.dataset.toggle));
      if (folded) { sendOp("node.update", { node: folded.id, collapsed: !folded.collapsed }); }
      return;
    }
    var edgeEl = event.target.closest && event.target.closest(".mm-edge");
    if (edgeEl) {
      state.selectedEdge = Number(edgeEl.dataset.edge);
      state.selected = null;
      renderSoon();
      return;
    }
    var id = nodeIdOf(event.target);
    var point = toMap(event);
    if (id !== null) {
      if (state.connectFrom !== null && state.connectFrom !== id) {
        sendOp("edge.create", { source: state.connectFrom, target: id, label: "" });
        state.connectFrom = null;
        select(id);
        return;
      }
      select(id);
      var node = state.nodes.get(id);
      drag = { id: id, dx: point.x - node.x, dy: point.y - node.y, x: node.x, y: node.y,
        moved: false, sentId: null, done: false, before: Object.assign({}, node) };
      svg.setPointerCapture(event.pointerId);
    } else {
      state.connectFrom = null;
      select(null);
      pan = { x: event.clientX - state.view.x, y: event.clientY - state.view.y };
      svg.setPointerCapture(event.pointerId);
    }
  });

  svg.addEventListener("pointermove", function (event) {
    var point = toMap(event);
    var now = Date.now();
    if (now - lastCursorAt >= (config.cursorInterval || 0.05) * 1000) {
      lastCursorAt = now;
      send({ type: "cursor", x: Math.round(point.x), y: Math.round(point.y) });
    }
    if (drag && !drag.done) {
      drag.x = point.x - drag.dx;
      drag.y = point.y - drag.dy;
      drag.moved = true;
      var node = state.nodes.get(drag.id);
      if (node) { state.nodes.set(drag.id, Object.assign({}, node, { x: drag.x, y: drag.y })); }
      renderSoon();
      if (!drag.sentAt || now - drag.sentAt > DRAG_SEND_MS) { sendDragMove(); }
    } else if (pan) {
      state.view.x = event.clientX - pan.x;
      state.view.y = event.clientY - pan.y;
      renderSoon();
    }
  });

  function endPointer() {
    if (drag) {
      if (!drag.moved) { drag = null; }
      else { drag.done = true; sendDragMove(); }
    }
    pan = null;
  }
  svg.addEventListener("pointerup", endPointer);
  svg.addEventListener("pointercancel", endPointer);

  svg.addEventListener("dblclick", function (event) {
    // Hit-test the point: a render between the two clicks replaces the node's
    // element, and the event then targets the canvas.
    var hit = document.elementFromPoint(event.clientX, event.clientY);
    var id = hit ? nodeIdOf(hit) : null;
    if (id !== null) { startEditing(id); return; }
    var point = toMap(event);
    createNode({ parent: null, x: Math.round(point.x), y: Math.round(point.y) }, true);
  });

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = svg.getBoundingClientRect(), v = state.view;
    var factor = event.deltaY < 0 ? 1.1 : 1 / 1.1;
    var scale = Math.min(4, Math.max(0.2, v.scale * factor));
    var px = event.clientX - box.left, py = event.clientY - box.top;
    v.x = px - (px - v.x) * (scale / v.scale);
    v.y = py - (py - v.y) * (scale / v.scale);
    v.scale = scale;
    renderSoon();
  }, { passive: false });

  function perform(action, value) {
    switch (action) {
      case "add-child": addChild(); break;
      case "edit": if (state.selected !== null) { startEditing(state.selected); } break;
      case "connect": if (state.selected !== null) { state.connectFrom = state.selected; renderSoon(); } break;
      case "collapse": {
        var node = state.nodes.get(state.selected);
        if (node) { sendOp("node.update", { node: node.id, collapsed: !node.collapsed }); }
        break;
      }
      case "delete": deleteSelected(); break;
      case "color":
        if (state.nodes.has(state.selected)) { sendOp("node.update", { node: state.selected, color: value }); }
        break;
      case "undo": undoOrRedo(state.undo, "undo"); break;
      case "redo": undoOrRedo(state.redo, "redo"); break;
      case "export-json": exportJson(); break;
      case "export-png": exportPng(); break;
      default: break;
    }
  }

  root.querySelector(".mm-toolbar").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (button) { perform(button.dataset.action, button.dataset.color); }
  });

  COLORS.forEach(function (color) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "mm-color";
    button.dataset.action = "color";
    button.dataset.color = color;
    button.style.background = color;
    button.title = color;
    $("colors").appendChild(button);
  });

  document.addEventListener("keydown", function (event) {
    if (editing || event.target.tagName === "INPUT") { return; }
    var ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && event.key.toLowerCase() === "z") { event.preventDefault(); perform(event.shiftKey ? "redo" : "undo"); }
    else if (ctrl && event.key.toLowerCase() === "y") { event.preventDefault(); perform("redo"); }
    else if (event.key === "Tab") { event.preventDefault(); perform("add-child"); }
    else if (event.key === "Enter" || event.key === "F2") { event.preventDefault(); perform("edit"); }
    else if (event.key === "Delete" || event.key === "Backspace") { perform("delete"); }
    else if (event.key === " ") { event.preventDefault(); perform("collapse"); }
    else if (event.key === "c") { perform("connect"); }
    else if (event.key === "Escape") { state.connectFrom = null; renderSoon(); }
  });

  // ---- export -----------------------------------------------------------------

  function download(name, url) {
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function exportJson() {
    var data = { mindmap: config.mindmapId, seq: state.seq,
      nodes: Array.from(state.nodes.values()), edges: Array.from(state.edges.values()) };
    var blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    download("mindmap-" + config.mindmapId + ".json", URL.createObjectURL(blob));
  }

  function exportPng() {
    var box = viewport.getBBox();
    var clone = svg.cloneNode(true);
    clone.setAttribute("width", box.width + 40);
    clone.setAttribute("height", box.height + 40);
    clone.querySelector('[data-role="viewport"]').setAttribute(
      "transform", "translate(" + (20 - box.x) + "," + (20 - box.y) + ")");
    clone.querySelector('[data-role="cursors"]').remove();
    var style = document.createElementNS(SVG_NS, "style");
    style.textContent = ".mm-link{fill:none;stroke:#8a94a6;stroke-width:2}.mm-edge line{stroke:#c0587e;" +
      "stroke-dasharray:6 4;stroke-width:2}.mm-edge-hit{display:none}.mm-node rect{stroke:#445}" +
      "text{font:14px sans-serif}.mm-toggle circle{fill:#fff;stroke:#445}";
    clone.insertBefore(style, clone.firstChild);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = box.width + 40;
      canvas.height = box.height + 40;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0);
      download("mindmap-" + config.mindmapId + ".png", canvas.toDataURL("image/png"));
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(clone));
  }

  // A small handle for debugging from the console (and for browser tests).
  window.moaMindmap = { state: state, perform: perform, select: select };
  connect();
})();
