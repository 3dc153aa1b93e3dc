/**
 * WebSocket helpers for the API tests: upgrade through the app, collect frames, wait for one.
 */
import { app } from "../../src/app";
import { testEnv } from "./client";

/** A received JSON frame. */
export type Frame = Record<string, any>;

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
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  ws.addEventListener("message", (e) => {
    frames.push(JSON.parse(String(e.data)) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  async function next(pred: (f: Frame) => boolean, ms = 5_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = frames.find(pred);
      if (f) return f;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  return { ws, frames, next };
}
