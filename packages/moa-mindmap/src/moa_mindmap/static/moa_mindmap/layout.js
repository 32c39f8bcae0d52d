/* Where things go: the parent -> children index, visibility, and node boxes that fit their text.
 *
 * No DOM: text is measured by a function the view passes in (canvas measureText in the
 * browser), so this module is unit-tested with node --test. The index is rebuilt only when
 * the tree's structure changes (a node created, deleted, re-parented, reordered, folded);
 * a node's box is recomputed only when its text changes.
 */

export const MIN_WIDTH = 80;
export const MAX_TEXT_WIDTH = 260;
export const PAD_X = 10;
export const PAD_Y = 6;
export const LINE_HEIGHT = 18;
export const FONT = "14px system-ui, sans-serif";

const byOrder = (a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.id - b.id);

export class TreeIndex {
  constructor() {
    this.children = new Map();  // parent id (null: roots) -> children in order
    this.edgesByNode = new Map();  // node id -> Set of edge ids
    this.visible = new Set();
  }

  /** Rebuild from every node and edge: O(nodes + edges), once per structural change. */
  rebuild(nodes, edges) {
    this.children = new Map();
    for (const node of nodes.values()) {
      const key = nodes.has(node.parent) ? node.parent : null;
      if (!this.children.has(key)) { this.children.set(key, []); }
      this.children.get(key).push(node);
    }
    for (const list of this.children.values()) { list.sort(byOrder); }
    this.visible = new Set();
    const stack = [...(this.children.get(null) || [])];
    while (stack.length) {
      const node = stack.pop();
      if (this.visible.has(node.id)) { continue; }
      this.visible.add(node.id);
      if (!node.collapsed) { stack.push(...(this.children.get(node.id) || [])); }
    }
    this.rebuildEdges(edges);
  }

  rebuildEdges(edges) {
    this.edgesByNode = new Map();
    for (const edge of edges.values()) {
      for (const end of [edge.source, edge.target]) {
        if (!this.edgesByNode.has(end)) { this.edgesByNode.set(end, new Set()); }
        this.edgesByNode.get(end).add(edge.id);
      }
    }
  }

  childrenOf(id) { return this.children.get(id) || []; }

  hasChildren(id) { return this.childrenOf(id).length > 0; }

  edgesOf(id) { return this.edgesByNode.get(id) || new Set(); }

  /** The node's siblings in order (the roots for a root), itself included. */
  siblingsOf(node, nodes) {
    return this.childrenOf(nodes.has(node.parent) ? node.parent : null);
  }

  /** The depth of a node from its root (1 for a root), for aria-level. */
  levelOf(node, nodes) {
    let level = 1;
    let parent = nodes.get(node.parent);
    while (parent && level < 10000) { level += 1; parent = nodes.get(parent.parent); }
    return level;
  }
}

/** Split `text` into grapheme clusters, so an emoji or a combined Hangul syllable stays whole. */
export function graphemes(text) {
  if (typeof Intl !== "undefined" && Intl.Segmenter) {
    return [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].map((s) => s.segment);
  }
  return Array.from(text);
}

/**
 * Break `text` into lines no wider than `maxWidth` as `measure` (string -> px) sees them.
 * Breaks at spaces where it can and inside a word (CJK has no spaces) where it must. Each
 * line keeps its trailing space, so the lines joined are the text again.
 */
export function wrapText(text, maxWidth, measure) {
  if (!text.includes("\n") && measure(text) <= maxWidth) { return [text]; }  // most nodes
  const lines = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    const words = paragraph.match(/\S+\s*|\s+/g) || [""];
    for (const word of words) {
      if (measure((line + word).trimEnd()) <= maxWidth) { line += word; continue; }
      if (line) { lines.push(line); line = ""; }
      if (measure(word.trimEnd()) <= maxWidth) { line = word; continue; }
      for (const g of graphemes(word)) {
        if (line && measure((line + g).trimEnd()) > maxWidth) { lines.push(line); line = ""; }
        line += g;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** The box of a node showing `text`: its wrapped lines, width and height in px. */
export function nodeBox(text, measure) {
  const lines = wrapText(text || "", MAX_TEXT_WIDTH, measure);
  const widest = Math.max(0, ...lines.map((line) => measure(line.trimEnd())));
  return {
    lines,
    width: Math.max(MIN_WIDTH, Math.ceil(widest) + 2 * PAD_X + 2),
    height: lines.length * LINE_HEIGHT + 2 * PAD_Y,
  };
}
