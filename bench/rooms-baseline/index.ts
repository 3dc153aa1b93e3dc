/**
 * Bare broadcast Durable Object of `npm run bench:rooms`: the floor a WebSocket fan-out can reach on
 * the same local stack (workerd, Hibernation API), with nothing but the fan-out itself.
 *
 * - `GET /` → 200 (readiness).
 * - `GET /ws?room=<name>` (WebSocket upgrade) → `BARE.getByName(room).fetch()`: the DO accepts the
 *   socket with `ctx.acceptWebSocket` and sends `{"type":"welcome"}`.
 * - Every text frame is sent verbatim to every other socket of the DO (`ctx.getWebSockets()`) and
 *   answered to its sender with `{"type":"ack","ref":<id>}` (one `JSON.parse` to read the id).
 *
 * No storage, no identity, no limits, no presence, no counters: the Room (src/rooms/room.do.ts)
 * does all of those on top of the same loop, which is what the benchmark prices.
 */
import { DurableObject } from "cloudflare:workers";

interface BareEnv {
  BARE: DurableObjectNamespace<BareRoom>;
}

const OPEN = 1; // WebSocket.READY_STATE_OPEN

export class BareRoom extends DurableObject<BareEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("expected a WebSocket", { status: 426 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.send('{"type":"welcome"}');
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") return;
    let id: unknown;
    try {
      id = (JSON.parse(message) as { id?: unknown }).id;
    } catch {
      return;
    }
    for (const peer of this.ctx.getWebSockets()) {
      if (peer === ws || peer.readyState !== OPEN) continue;
      try {
        peer.send(message);
      } catch {
        // closed meanwhile
      }
    }
    ws.send(JSON.stringify({ type: "ack", ref: id }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Reciprocate the Close frame (the Hibernation API does not); reserved codes carry none.
    if (code === 1005 || code === 1006 || code === 1015) return;
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/") return new Response("ok"); // readiness probe of the bench
    const room = url.searchParams.get("room");
    if (url.pathname !== "/ws" || !room) return new Response("not found", { status: 404 });
    return env.BARE.getByName(room).fetch(request);
  },
} satisfies ExportedHandler<BareEnv>;
