/**
 * WebSocket helpers for the API tests: room names and paths, upgrade through the app, collect
 * frames, wait for one, enter a room, tickets, and whether a room's Durable Object exists.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { app } from "../../src/app";
import { json, testEnv } from "./client";

/** A received JSON frame. */
export type Frame = Record<string, any>;

/** A fresh room id of the always-open kind: `honeycomb:<label>-<random>`. */
export const roomName = (label = "t") => `honeycomb:${label}-${crypto.randomUUID().slice(0, 8)}`;

/** The socket route of a room (`query` starts with `?`). */
export const wsPath = (roomId: string, query = "") => `/api/rooms/${encodeURIComponent(roomId)}/ws${query}`;

/** True when the room's Durable Object has been created (the route reached it). */
export async function doExists(roomId: string): Promise<boolean> {
  const ns = testEnv.ROOMS;
  const want = ns.idFromName(roomId);
  return (await listDurableObjectIds(ns)).some((id) => id.equals(want));
}

/** `POST /api/rooms/:roomId/ticket` as `session`. */
export function ticketFor(session: string, roomId: string) {
  return json(`/api/rooms/${encodeURIComponent(roomId)}/ticket`, { method: "POST", session, body: {} });
}

/** Calls the app with an upgrade header (and optional session), returns the raw response. */
export function upgrade(
  path: string,
  session?: string,
  headers: Record<string, string> = {},
  env: Env = testEnv,
): Promise<Response> {
  const h: Record<string, string> = { upgrade: "websocket", ...headers };
  if (session) h.authorization = `Bearer ${session}`;
  return Promise.resolve(app.request(`http://localhost${path}`, { headers: h }, env));
}

/** Accepts the client end of a 101 and collects its frames (`next(pred)` waits for a match). */
export function collect(res: Response) {
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`expected 101, got ${res.status}`);
  ws.accept();
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  ws.addEventListener("message", (e) => {
    frames.push(JSON.parse(String(e.data)) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  // The deadline is a timer, not `Date.now()`: some tests pin the clock (`vi.setSystemTime`).
  async function next(pred: (f: Frame) => boolean, ms = 5_000): Promise<Frame> {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
    }, ms);
    try {
      for (;;) {
        const f = frames.find(pred);
        if (f) return f;
        if (late) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }
  return { ws, frames, next, closed };
}

/** Opens a socket through the route at `path` and waits for its welcome. */
export async function enter(path: string, session?: string, headers?: Record<string, string>, env?: Env) {
  const res = await upgrade(path, session, headers, env);
  if (res.status !== 101) throw new Error(`expected 101, got ${res.status}: ${await res.text()}`);
  const c = collect(res);
  const welcome = await c.next((f) => f.type === "welcome");
  return { ...c, welcome };
}
