/* moa-mindmap editor: native ES modules, no build step; speaks protocol version 1.
 *
 * replica.js keeps the map in sync with the server and holds undo/redo (no DOM),
 * layout.js the tree index and text boxes, view.js the SVG, input.js the keyboard and
 * mouse, connection.js the socket. This module wires them and holds the user's commands.
 * Every string it shows comes from the page's config (Django's translations).
 */

import { connect } from "./connection.js";
import { bindInput } from "./input.js";
import { TreeIndex } from "./layout.js";
import { Replica } from "./replica.js";
import { MapView } from "./view.js";

const COLORS = ["#ffffff", "#ffe08a", "#b8f2c7", "#b8dcff", "#f5c2e7", "#ffb3a7"];
const FLASH_MS = 4000;
const COUNT_FROM = 50;  // show the characters left once this few remain

function interpolate(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

function colorFor(session) {
  let hash = 0;
  for (let i = 0; i < session.length; i += 1) { hash = (hash * 31 + session.charCodeAt(i)) >>> 0; }
  return "hsl(" + (hash % 360) + ",70%,40%)";
}

class Editor {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.strings = config.strings;
    this.statusEl = root.querySelector('[data-role="status"]');
    this.peopleEl = root.querySelector('[data-role="people"]');
    this.peers = new Map();
    this.editing = null;
    this.drag = null;
    this.flashTimer = null;
    this.closedFor = null;
    this.socket = null;
    this.replica = new Replica({ send: (frame) => this.socket.send(frame) });
    this.index = new TreeIndex();
    this.view = new MapView(root, this.replica, this.index, this.strings);
    this.replica.on("change", (change) => this.view.invalidate(change));
    this.replica.on("snapshot", (frame) => this.loadPresence(frame));
    this.replica.on("notice", (code, message) => this.notice(code, message));
    this.replica.on("ack", (frame, entry) => this.acknowledged(frame, entry));
    this.replica.on("reject", (frame) => this.refused(frame));
  }

  start() {
    this.addColorButtons();
    bindInput(this);
    this.setStatus(this.strings.connecting, "connecting");
    this.socket = connect(this.config.socketPath, {
      onopen: () => {},
      onframe: (frame) => this.receive(frame),
      onclose: (code, retry) => {
        this.replica.disconnected();
        this.peers.clear();
        this.renderPeers();
        if (retry) { this.setStatus(this.strings.offline, "offline"); return; }
        this.closedFor = code;
        this.setStatus(this.strings.refusals[code], "refused");
      },
    });
    setInterval(() => this.everySecond(), 1000);
  }

  receive(frame) {
    if (frame.type === "batch") { frame.frames.forEach((inner) => this.receive(inner)); return; }
    if (frame.type === "presence") { this.receivePresence(frame); return; }
    if (frame.type === "cursor") { this.receiveCursor(frame); return; }
    this.replica.receive(frame);
    if (frame.type === "snapshot") { this.setStatus(this.strings.connected, "connected"); }
  }

  everySecond() {
    this.replica.resendDue();
    const expiry = 3000 * this.config.heartbeatInterval, now = Date.now();
    for (const [session, p] of this.peers) {
      if (now - p.seenAt > expiry) { this.peers.delete(session); this.renderPeers(); }
    }
  }

  // ---- status and presence -------------------------------------------------------

  setStatus(text, kind) {
    this.statusEl.textContent = text;
    this.statusEl.title = text;
    this.statusEl.dataset.state = kind;
  }

  flash(message) {
    this.setStatus(message, "notice");
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      if (this.replica.synced) { this.setStatus(this.strings.connected, "connected"); }
    }, FLASH_MS);
  }

  notice(code, message) {
    this.flash(this.strings.errors[code] || message || this.strings.errors.other);
  }

  loadPresence(frame) {
    this.peers.clear();
    for (const p of frame.present || []) {
      if (p.session !== this.replica.me) { this.peers.set(p.session, this.peer(p)); }
    }
    this.renderPeers();
  }

  peer(frame) { return { session: frame.session, user: frame.user, x: null, y: null, seenAt: Date.now() }; }

  receivePresence(frame) {
    if (frame.event === "leave") { this.peers.delete(frame.session); }
    else {
      const known = this.peers.get(frame.session) || this.peer(frame);
      known.seenAt = Date.now();
      this.peers.set(frame.session, known);
    }
    this.renderPeers();
  }

  receiveCursor(frame) {
    const known = this.peers.get(frame.session) || this.peer(frame);
    Object.assign(known, { x: frame.x, y: frame.y, seenAt: Date.now() });
    this.peers.set(frame.session, known);
    this.renderPeers();
  }

  renderPeers() {
    if (this.peersQueued) { return; }
    this.peersQueued = true;
    requestAnimationFrame(() => {
      this.peersQueued = false;
      this.view.renderPeers(this.peers, colorFor);
      const names = [...this.peers.values()].map((p) => p.user.name);
      this.peopleEl.textContent = names.length ? interpolate(this.strings.with, { names: names.join(", ") }) : "";
    });
  }

  // ---- commands ----------------------------------------------------------------------

  canEdit() {
    if (!this.config.canEdit) { this.flash(this.strings.viewOnly); }
    return this.config.canEdit;
  }

  act(steps) { if (this.canEdit()) { this.replica.perform(steps); } }

  perform(command, value) {
    const selected = this.replica.nodes.get(this.view.selected);
    switch (command) {
      case "add-child": if (selected) { this.addChild(selected); } break;
      case "add-sibling": case "enter":
        if (this.view.connectFrom !== null && selected) { this.connectTo(selected.id); }
        else if (selected) { this.addSibling(selected); }
        break;
      case "edit": if (selected) { this.startEditing(selected.id); } break;
      case "connect": if (selected) { this.view.connectFrom = selected.id; this.view.invalidate({ nodes: [selected.id] }); } break;
      case "collapse": if (selected) { this.toggleCollapsed(selected.id); } break;
      case "delete": this.deleteSelected(); break;
      case "color": if (selected) { this.act([{ op: "node.update", fields: { node: selected.id, color: value } }]); } break;
      case "undo": if (this.canEdit()) { this.replica.undo(); } break;
      case "redo": if (this.canEdit()) { this.replica.redo(); } break;
      case "escape": this.cancel(); break;
      case "go-parent": case "go-child": case "go-previous": case "go-next": this.walk(command, selected); break;
      case "export-json": this.exportJson(); break;
      case "export-png": this.exportPng(); break;
      default: break;
    }
  }

  cancel() {
    if (this.view.connectFrom !== null) {
      const id = this.view.connectFrom;
      this.view.connectFrom = null;
      this.view.invalidate({ nodes: [id] });
    }
  }

  /** Finish a connection started with Connect; true when this click did that. */
  connectTo(id) {
    const from = this.view.connectFrom;
    if (from === null || from === id) { return false; }
    this.cancel();
    this.act([{ op: "edge.create", fields: { source: from, target: id, label: "" } }]);
    this.view.select(id);
    return true;
  }

  walk(command, node) {
    const nodes = this.replica.nodes;
    if (!node) {
      const first = this.index.childrenOf(null)[0];
      if (first) { this.view.select(first.id); }
      return;
    }
    let next = null;
    if (command === "go-parent") { next = nodes.get(node.parent) || null; }
    else if (command === "go-child") {
      if (node.collapsed) { this.toggleCollapsed(node.id); return; }
      next = this.index.childrenOf(node.id)[0] || null;
    } else {
      const siblings = this.index.siblingsOf(node, nodes);
      const at = siblings.findIndex((n) => n.id === node.id);
      next = siblings[at + (command === "go-next" ? 1 : -1)] || null;
    }
    if (next) { this.view.select(next.id); }
  }

  createThenEdit(fields) {
    if (!this.canEdit()) { return; }
    const action = this.replica.perform([{ op: "node.create", fields: { text: "", ...fields } }]);
    this.afterAction(action, () => {
      const id = this.replica.resolveNode(action.steps[0].as);
      this.view.select(id);
      requestAnimationFrame(() => this.startEditing(id));
    });
  }

  afterAction(action, then) { action.then = then; }

  createRoot(x, y) { this.createThenEdit({ parent: null, x, y }); }

  addChild(parent) {
    const box = this.view.box(parent), count = this.index.childrenOf(parent.id).length;
    this.createThenEdit({ parent: parent.id, x: parent.x + box.width + 60, y: parent.y + count * 44 });
  }

  addSibling(node) {
    const siblings = this.index.siblingsOf(node, this.replica.nodes);
    const at = siblings.findIndex((n) => n.id === node.id);
    const parent = this.replica.nodes.has(node.parent) ? node.parent : null;
    this.createThenEdit({ parent, x: node.x, y: node.y + this.view.box(node).height + 14, index: at + 1 });
  }

  toggleCollapsed(id) {
    const node = this.replica.nodes.get(id);
    if (node) { this.act([{ op: "node.update", fields: { node: id, collapsed: !node.collapsed } }]); }
  }

  deleteSelected() {
    if (this.view.selectedEdge !== null) {
      this.act([{ op: "edge.delete", fields: { edge: this.view.selectedEdge } }]);
      this.view.select(null);
    } else if (this.replica.nodes.has(this.view.selected)) {
      this.act([{ op: "node.delete", fields: { node: this.view.selected } }]);
    }
  }

  acknowledged(frame, entry) {
    const action = entry.action;
    // The last step of an action: run what the command wanted done once it is applied.
    if (action && action.index === action.steps.length - 1 && action.then) { action.then(frame); }
    if (this.drag && this.drag.sentId === frame.id) {
      this.drag.sentId = null;
      if (this.drag.done) { this.sendDragMove(); }
    }
  }

  refused(frame) {
    if (this.drag && this.drag.sentId === frame.id) { this.dragFinished(); }
    if (frame.node) { this.view.invalidate({ nodes: [frame.node.id] }); }
  }

  // ---- dragging -------------------------------------------------------------------------

  dragStart(id) {
    if (!this.config.canEdit) { return; }
    this.drag = { id, before: { ...this.replica.nodes.get(id) }, sentId: null, done: false, sentAt: 0 };
  }

  dragTo(id, x, y, sendEveryMs) {
    if (!this.drag || this.drag.id !== id) { return; }
    this.drag.x = x;
    this.drag.y = y;
    this.view.overrides.set(id, { x, y });
    this.view.invalidate({ nodes: [id] });
    if (Date.now() - this.drag.sentAt > sendEveryMs) { this.sendDragMove(); }
  }

  dragEnd(id, x, y) {
    if (!this.drag || this.drag.id !== id) { return; }
    this.drag.x = x;
    this.drag.y = y;
    this.drag.done = true;
    this.sendDragMove();
  }

  /** Send where the drag is: one move in flight at a time, since its ack brings the version. */
  sendDragMove() {
    const drag = this.drag;
    if (!drag || drag.sentId) { return; }
    if (!this.replica.nodes.has(drag.id)) { this.dragFinished(); return; }
    const x = Math.round(drag.x), y = Math.round(drag.y);
    drag.sentAt = Date.now();
    if (drag.done) {
      // The move that ends a drag is the undoable one, back to where the drag began.
      this.replica.perform([{ op: "node.move", fields: { node: drag.id, x, y }, before: drag.before }]);
      this.dragFinished();
    } else if (x !== drag.sentX || y !== drag.sentY) {
      drag.sentX = x;
      drag.sentY = y;
      drag.sentId = this.replica.sendOp("node.move", { node: drag.id, x, y });
    }
  }

  dragFinished() {
    if (!this.drag) { return; }
    const id = this.drag.id, at = this.view.overrides.get(id);
    this.drag = null;
    // Keep showing the drop point until the server's answer moves the node there.
    const node = this.replica.nodes.get(id);
    if (node && at) { this.replica.nodes.set(id, { ...node, x: Math.round(at.x), y: Math.round(at.y) }); }
    this.view.overrides.delete(id);
    this.view.invalidate({ nodes: [id] });
  }

  // ---- editing text ------------------------------------------------------------------------

  startEditing(id, typed = null) {
    const node = this.replica.nodes.get(id);
    const g = this.view.nodeEls.get(id);
    if (!node || !g || !this.canEdit()) { return; }
    this.stopEditing(false);
    const box = g.getBoundingClientRect(), host = this.root.getBoundingClientRect();
    const input = document.createElement("input");
    input.className = "mm-edit";
    input.value = typed === null ? node.text : typed;
    input.maxLength = this.config.maxTextLength;
    input.setAttribute("aria-label", this.strings.editLabel);
    input.style.left = (box.left - host.left) + "px";
    input.style.top = (box.top - host.top) + "px";
    input.style.width = Math.max(200, box.width) + "px";
    const count = document.createElement("span");
    count.className = "mm-edit-count";
    count.setAttribute("aria-live", "polite");
    count.style.left = input.style.left;
    count.style.top = (box.top - host.top + 34) + "px";
    const updateCount = () => {
      const left = this.config.maxTextLength - [...input.value].length;
      count.hidden = left > COUNT_FROM;
      count.textContent = interpolate(left === 1 ? this.strings.charactersLeftOne : this.strings.charactersLeft, { count: left });
    };
    input.addEventListener("input", updateCount);
    updateCount();
    this.root.append(input, count);
    this.editing = { id, input, count };
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Enter" && !event.isComposing) { this.stopEditing(true); }
      if (event.key === "Escape") { this.stopEditing(false); }
    });
    input.addEventListener("blur", () => this.stopEditing(true));
    input.focus();
    if (typed === null) { input.select(); }
  }

  stopEditing(commit) {
    if (!this.editing) { return; }
    const current = this.editing;
    this.editing = null;
    const node = this.replica.nodes.get(current.id);
    if (commit && node && current.input.value !== node.text) {
      this.act([{ op: "node.update", fields: { node: current.id, text: current.input.value } }]);
    }
    const hadFocus = document.activeElement === current.input;
    current.input.remove();
    current.count.remove();
    if (hadFocus) { this.view.svg.focus({ preventScroll: true }); }
  }

  // ---- toolbar pieces and export ----------------------------------------------------------

  addColorButtons() {
    const holder = this.root.querySelector('[data-role="colors"]');
    COLORS.forEach((color, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "mm-color";
      button.dataset.action = "color";
      button.dataset.color = color;
      button.style.background = color;
      button.title = this.strings.colors[i];
      button.setAttribute("aria-label", this.strings.colors[i]);
      holder.appendChild(button);
    });
  }

  download(name, url) {
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  exportJson() {
    const data = { mindmap: this.config.mindmapId, seq: this.replica.seq,
      nodes: [...this.replica.nodes.values()], edges: [...this.replica.edges.values()] };
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    this.download("mindmap-" + this.config.mindmapId + ".json", URL.createObjectURL(blob));
  }

  exportPng() {
    const svg = this.view.svg, box = this.view.viewport.getBBox();
    const clone = svg.cloneNode(true);
    clone.setAttribute("width", box.width + 40);
    clone.setAttribute("height", box.height + 40);
    clone.querySelector('[data-role="viewport"]').setAttribute(
      "transform", "translate(" + (20 - box.x) + "," + (20 - box.y) + ")");
    clone.querySelector('[data-role="cursors"]').remove();
    const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
    style.textContent = ".mm-link{fill:none;stroke:#8a94a6;stroke-width:2}.mm-edge line{stroke:#c0587e;" +
      "stroke-dasharray:6 4;stroke-width:2}.mm-edge-hit{display:none}.mm-node rect{stroke:#445}" +
      "text{font:14px system-ui,sans-serif}.mm-toggle circle{fill:#fff;stroke:#445}";
    clone.insertBefore(style, clone.firstChild);
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = box.width + 40;
      canvas.height = box.height + 40;
      const context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0);
      this.download("mindmap-" + this.config.mindmapId + ".png", canvas.toDataURL("image/png"));
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(clone));
  }
}

const root = document.getElementById("mm-editor");
if (root) {
  const editor = new Editor(root, JSON.parse(document.getElementById("mm-config").textContent));
  // For the console and for browser tests: the replica (nodes, edges, pending, seq) and commands.
  window.moaMindmap = { state: editor.replica, editor, perform: (c, v) => editor.perform(c, v),
    select: (id) => editor.view.select(id) };
  editor.start();
}
