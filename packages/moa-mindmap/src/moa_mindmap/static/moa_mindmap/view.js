/* The SVG view: keyed elements for nodes, parent links and connections, updated in place.
 *
 * Each node, link and edge keeps its element (keyed by id) for as long as it is shown, so
 * the element under the pointer survives redraws (a double-click or a drag spans several).
 * A change touches only what it names: dragging a node moves its element, its own link,
 * its children's links and its connections, nothing else. The tree index and visibility
 * are rebuilt only when the structure changes.
 */

import { FONT, LINE_HEIGHT, PAD_X, PAD_Y, nodeBox } from "./layout.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) { node.setAttribute(key, value); }
  if (parent) { parent.appendChild(node); }
  return node;
}

function setAttr(node, name, value) {
  const text = String(value);
  if (node.getAttribute(name) !== text) { node.setAttribute(name, text); }
}

export class MapView {
  constructor(root, replica, index, strings) {
    this.root = root;
    this.replica = replica;
    this.index = index;
    this.strings = strings;
    const $ = (role) => root.querySelector('[data-role="' + role + '"]');
    this.svg = $("canvas");
    this.viewport = $("viewport");
    this.layers = { links: $("links"), nodes: $("nodes"), cursors: $("cursors") };
    this.emptyHint = $("empty");
    this.nodeEls = new Map();
    this.linkEls = new Map();  // keyed by the child's id
    this.edgeEls = new Map();
    this.boxes = new Map();  // node id -> {text, lines, width, height}
    this.overrides = new Map();  // node id -> {x, y} while the local user drags it
    this.selected = null;
    this.selectedEdge = null;
    this.connectFrom = null;
    this.transform = { x: 0, y: 0, scale: 1 };
    this.dirty = { all: true, structure: true, nodes: new Set(), edges: new Set() };
    this.queued = false;
    const context = document.createElement("canvas").getContext("2d");
    context.font = FONT;
    this.measure = (text) => context.measureText(text).width;
  }

  /** Note a change from the replica (or the user) and draw it on the next frame. */
  invalidate(change) {
    if (change.all) { this.dirty.all = true; }
    if (change.structure) { this.dirty.structure = true; }
    for (const id of change.nodes || []) { this.dirty.nodes.add(id); }
    for (const id of change.edges || []) { this.dirty.edges.add(id); }
    if (!this.queued) {
      this.queued = true;
      requestAnimationFrame(() => this.render());
    }
  }

  select(id, edge = null) {
    const before = [this.selected];
    this.selected = id;
    this.selectedEdge = edge;
    this.invalidate({ nodes: [...before, id].filter((x) => x !== null), edges: this.edgeEls.keys() });
    if (id !== null) { this.svg.setAttribute("aria-activedescendant", "mm-node-" + id); }
    else { this.svg.removeAttribute("aria-activedescendant"); }
  }

  position(id) { return this.overrides.get(id) || this.replica.nodes.get(id); }

  box(node) {
    let box = this.boxes.get(node.id);
    if (!box || box.text !== node.text) {
      box = { text: node.text, ...nodeBox(node.text, this.measure) };
      this.boxes.set(node.id, box);
    }
    return box;
  }

  center(id) {
    const node = this.replica.nodes.get(id), at = this.position(id), box = this.box(node);
    return { x: at.x + box.width / 2, y: at.y + box.height / 2 };
  }

  render() {
    this.queued = false;
    const { nodes, edges } = this.replica;
    const dirty = this.dirty;
    this.dirty = { all: false, structure: false, nodes: new Set(), edges: new Set() };
    const v = this.transform;
    setAttr(this.viewport, "transform", "translate(" + v.x + "," + v.y + ") scale(" + v.scale + ")");
    if (dirty.all || dirty.structure) {
      this.index.rebuild(nodes, edges);
      for (const id of this.boxes.keys()) { if (!nodes.has(id)) { this.boxes.delete(id); } }
      for (const id of this.index.visible) { this.updateNode(id); this.updateLink(id); }
      for (const [id, g] of this.nodeEls) { if (!this.index.visible.has(id)) { g.remove(); this.nodeEls.delete(id); } }
      for (const [id, path] of this.linkEls) { if (!this.linkShown(id)) { path.remove(); this.linkEls.delete(id); } }
      for (const id of edges.keys()) { this.updateEdge(id); }
      for (const id of this.edgeEls.keys()) { if (!edges.has(id)) { this.updateEdge(id); } }
    } else {
      if (dirty.edges.size) { this.index.rebuildEdges(edges); }
      const touched = new Set(dirty.edges);
      for (const id of dirty.nodes) {
        if (!this.index.visible.has(id)) { continue; }
        this.updateNode(id);
        this.updateLink(id);
        for (const child of this.index.childrenOf(id)) { this.updateLink(child.id); }
        for (const edge of this.index.edgesOf(id)) { touched.add(edge); }
      }
      for (const id of touched) { this.updateEdge(id); }
    }
    const empty = this.replica.synced && nodes.size === 0;
    if (this.emptyHint && this.emptyHint.hidden === empty) { this.emptyHint.hidden = !empty; }
    this.root.dataset.seq = this.replica.seq;
    this.root.dataset.pending = this.replica.pending.size;
  }

  updateNode(id) {
    const node = this.replica.nodes.get(id);
    let g = this.nodeEls.get(id);
    if (!node) { if (g) { g.remove(); this.nodeEls.delete(id); } return; }
    if (!g) {
      g = el("g", { "data-id": id, id: "mm-node-" + id, role: "treeitem" }, this.layers.nodes);
      el("rect", { rx: 8 }, g);
      el("text", {}, g);
      this.nodeEls.set(id, g);
    }
    const at = this.position(id), box = this.box(node);
    let classes = "mm-node";
    if (this.selected === id) { classes += " is-selected"; }
    if (this.connectFrom === id) { classes += " is-connecting"; }
    setAttr(g, "class", classes);
    setAttr(g, "transform", "translate(" + at.x + "," + at.y + ")");
    setAttr(g, "aria-selected", this.selected === id ? "true" : "false");
    setAttr(g, "aria-level", this.index.levelOf(node, this.replica.nodes));
    setAttr(g, "aria-label", node.text || this.strings.untitled);
    const [rect, label] = g.children;
    let toggle = g.children[2] || null;
    setAttr(rect, "width", box.width);
    setAttr(rect, "height", box.height);
    setAttr(rect, "fill", node.color);
    if (label.dataset.text !== node.text) {
      label.dataset.text = node.text;
      label.textContent = "";
      box.lines.forEach((line, i) => {
        el("tspan", { x: PAD_X, y: PAD_Y + LINE_HEIGHT * i + 14 }, label).textContent = line || (i ? "" : "\u00a0");
      });
    }
    if (!this.index.hasChildren(id)) {
      if (toggle) { toggle.remove(); }
      g.removeAttribute("aria-expanded");
      return;
    }
    if (!toggle) {
      toggle = el("g", { class: "mm-toggle", "data-toggle": id }, g);
      el("circle", { r: 8 }, toggle);
      el("text", { x: 0, y: 4, "text-anchor": "middle" }, toggle);
    }
    // Beside the box, never over its text.
    setAttr(toggle, "transform", "translate(" + (box.width + 12) + "," + box.height / 2 + ")");
    setAttr(g, "aria-expanded", node.collapsed ? "false" : "true");
    const sign = node.collapsed ? "+" : "\u2212";
    if (toggle.lastChild.textContent !== sign) { toggle.lastChild.textContent = sign; }
  }

  linkShown(id) {
    const node = this.replica.nodes.get(id);
    return Boolean(node) && this.index.visible.has(id) && this.index.visible.has(node.parent);
  }

  updateLink(id) {
    let path = this.linkEls.get(id);
    if (!this.linkShown(id)) { if (path) { path.remove(); this.linkEls.delete(id); } return; }
    if (!path) {
      path = el("path", { class: "mm-link" }, null);
      this.layers.links.insertBefore(path, this.layers.links.firstChild);
      this.linkEls.set(id, path);
    }
    const a = this.center(this.replica.nodes.get(id).parent), b = this.center(id);
    const mid = (a.x + b.x) / 2;
    setAttr(path, "d", "M" + a.x + "," + a.y + " C" + mid + "," + a.y + " " + mid + "," + b.y + " " + b.x + "," + b.y);
  }

  updateEdge(id) {
    const edge = this.replica.edges.get(id);
    let g = this.edgeEls.get(id);
    const shown = edge && this.index.visible.has(edge.source) && this.index.visible.has(edge.target);
    if (!shown) { if (g) { g.remove(); this.edgeEls.delete(id); } return; }
    if (!g) {
      g = el("g", { "data-edge": id }, this.layers.links);
      el("line", {}, g);
      el("line", { class: "mm-edge-hit" }, g);
      el("text", {}, g);
      this.edgeEls.set(id, g);
    }
    const a = this.center(edge.source), b = this.center(edge.target);
    setAttr(g, "class", "mm-edge" + (this.selectedEdge === id ? " is-selected" : ""));
    for (const line of [g.children[0], g.children[1]]) {
      setAttr(line, "x1", a.x); setAttr(line, "y1", a.y); setAttr(line, "x2", b.x); setAttr(line, "y2", b.y);
    }
    const label = g.children[2];
    setAttr(label, "x", (a.x + b.x) / 2);
    setAttr(label, "y", (a.y + b.y) / 2 - 4);
    if (label.textContent !== edge.label) { label.textContent = edge.label; }
  }

  /** Redraw others' cursors; only their own layer, so nothing under the local pointer changes. */
  renderPeers(peers, colorFor) {
    this.layers.cursors.textContent = "";
    for (const p of peers.values()) {
      if (p.x === null) { continue; }
      const g = el("g", { class: "mm-cursor", "data-session": p.session,
        transform: "translate(" + p.x + "," + p.y + ")" }, this.layers.cursors);
      el("path", { d: "M0,0 L0,16 L4,12 L8,20 L10,19 L6,11 L12,11 Z", fill: colorFor(p.session) }, g);
      el("text", { x: 12, y: 24, fill: colorFor(p.session) }, g).textContent = p.user.name;
    }
  }

  /** Where a pointer event is, in map coordinates. */
  toMap(event) {
    const box = this.svg.getBoundingClientRect(), v = this.transform;
    return { x: (event.clientX - box.left - v.x) / v.scale, y: (event.clientY - box.top - v.y) / v.scale };
  }
}
