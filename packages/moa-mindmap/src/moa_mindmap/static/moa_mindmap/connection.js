/* The editor's WebSocket: reconnects with backoff, stops on a refusal (docs/reference/protocol.md). */

// Closes that retrying cannot change: not logged in, not allowed here, no such mindmap.
export const REFUSAL_CODES = [4401, 4403, 4404];

/** Full jitter, capped at 30 s: the delay before reconnect attempt number `attempt`. */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(30000, 500 * 2 ** attempt);
}

/**
 * Open the socket at `path` and keep it open.
 * Calls onopen(), onframe(frame), onclose(code, willRetry); returns {send(frame) -> bool}.
 */
export function connect(path, { onopen, onframe, onclose }) {
  let ws = null;
  let attempt = 0;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  function open() {
    ws = new WebSocket(scheme + location.host + path);
    ws.onopen = () => { attempt = 0; onopen(); };
    ws.onmessage = (event) => { onframe(JSON.parse(event.data)); };
    ws.onclose = (event) => {
      const retry = !REFUSAL_CODES.includes(event.code);
      onclose(event.code, retry);
      if (retry) { setTimeout(open, backoffDelay(attempt)); attempt += 1; }
    };
  }
  open();
  return {
    send(frame) {
      if (!ws || ws.readyState !== WebSocket.OPEN) { return false; }
      ws.send(JSON.stringify(frame));
      return true;
    },
  };
}
