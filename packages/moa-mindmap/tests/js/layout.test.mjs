// Layout without a browser: the tree index, visibility, wrapping and node boxes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { load } from "./static.mjs";

const { MAX_TEXT_WIDTH, TreeIndex, nodeBox, wrapText } = await load("layout.js");

// A fixed-width measure: 8 px a character, 16 px a wide (CJK or emoji) one.
const measure = (s) => [...s].reduce((w, c) => w + (c.codePointAt(0) > 0x2e80 ? 16 : 8), 0);

const map = (items) => new Map(items.map((n) => [n.id, { parent: null, order: "a", collapsed: false, ...n }]));

test("children are indexed by parent in sibling order, and folded subtrees are hidden", () => {
  const nodes = map([{ id: 1 }, { id: 2, parent: 1, order: "b" }, { id: 3, parent: 1, order: "a" },
    { id: 4, parent: 3 }, { id: 5, parent: 2, collapsed: true }, { id: 6, parent: 5 }, { id: 7, parent: 99 }]);
  const edges = new Map([[1, { id: 1, source: 2, target: 4 }]]);
  const index = new TreeIndex();
  index.rebuild(nodes, edges);
  assert.deepEqual(index.childrenOf(1).map((n) => n.id), [3, 2]);
  assert.deepEqual(index.childrenOf(null).map((n) => n.id), [1, 7]);  // an unknown parent: a root
  assert.ok(index.hasChildren(5) && !index.hasChildren(4));
  assert.deepEqual([...index.visible].sort(), [1, 2, 3, 4, 5, 7]);
  assert.deepEqual([...index.edgesOf(4)], [1]);
  assert.equal(index.levelOf(nodes.get(4), nodes), 3);
});

test("long text wraps at spaces to the maximum width and the lines join back to the text", () => {
  const text = "one two three four five six seven eight nine ten eleven twelve thirteen";
  const lines = wrapText(text, 80, measure);
  assert.ok(lines.length > 1);
  assert.equal(lines.join(""), text);
  for (const line of lines) { assert.ok(measure(line.trimEnd()) <= 80, line); }
});

test("CJK text without spaces and emoji wrap between characters, never inside one", () => {
  const text = "한국어로된아주긴노드텍스트입니다👩‍👩‍👧‍👦🎉";
  const lines = wrapText(text, 64, measure);
  assert.equal(lines.join(""), text);
  assert.ok(lines.every((line) => !line.includes("\u200d") || line.includes("👩‍👩‍👧‍👦")));
});

test("a node grows to fit its text, up to the maximum width, then grows taller", () => {
  const short = nodeBox("Root by A", measure);
  assert.ok(short.width >= measure("Root by A") + 20);
  const long = nodeBox("x ".repeat(500), measure);
  assert.ok(long.width <= MAX_TEXT_WIDTH + 22);
  assert.ok(long.height > short.height * 10);
  assert.equal(nodeBox("", measure).lines.length, 1);
});
