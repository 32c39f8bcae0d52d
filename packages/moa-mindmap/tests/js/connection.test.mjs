// The socket's retry rule without a browser: which closes stop it, how long it waits.
import assert from "node:assert/strict";
import { test } from "node:test";

import { load } from "./static.mjs";

const { REFUSAL_CODES, backoffDelay } = await load("connection.js");

test("4401, 4403 and 4404 stop the editor; 4408, 4429, 1006 and 1013 are retried", () => {
  assert.deepEqual(REFUSAL_CODES, [4401, 4403, 4404]);
  for (const code of [4408, 4429, 1006, 1013]) { assert.ok(!REFUSAL_CODES.includes(code)); }
});

test("the wait before a reconnect doubles from 0.5 s with full jitter, capped at 30 s", () => {
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(20, () => 1), 30000);
  assert.equal(backoffDelay(5, () => 0), 0);
  assert.equal(backoffDelay(2, () => 0.5), 1000);
});
