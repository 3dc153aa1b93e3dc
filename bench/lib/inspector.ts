/**
 * A minimal DevTools protocol client for the inspector `wrangler dev` / `pages dev` expose
 * (`--inspector-port`): enough to start and stop the V8 sampling profiler of the Worker runtime.
 * Uses Node's built-in WebSocket (run the script with `node --experimental-websocket`).
 *
 * @module
 */

/** A connected inspector session. */
export interface Inspector {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

/**
 * Connects to the first target the inspector at `port` lists (the primary Worker of the dev
 * server), retrying until it answers or `timeoutMs` passes.
 */
export async function connectInspector(port: number, timeoutMs = 120_000): Promise<Inspector> {
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
      url = list[0]?.webSocketDebuggerUrl;
    } catch {
      // not listening yet
    }
    if (url) break;
    if (Date.now() > deadline) throw new Error(`inspector on port ${port} lists no target`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const WS = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (!WS) throw new Error("no global WebSocket: run with node --experimental-websocket");
  // The dev server only accepts DevTools connections from a local Origin (DNS-rebinding guard);
  // Node's WebSocket sends none unless told (undici's init object takes headers).
  const ws = new (WS as unknown as new (url: string, init: unknown) => WebSocket)(url, {
    headers: { origin: "http://localhost" },
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return; // an event, not an answer
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    },
    close() {
      ws.close();
    },
  };
}
