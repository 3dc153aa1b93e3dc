/**
 * Test client for the Room: opens a socket through the DO stub the way the Pages Function will
 * (trusted headers set), records every frame, and lets tests await frames by predicate.
 */
import { env } from "cloudflare:workers";
import type { ServerFrame } from "../../src/rooms/protocol";

/** A stub and id for a fresh room (storage is per test file, so every test takes its own room). */
export function freshRoom(prefix = "honeycomb:t") {
  const roomId = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  return { roomId, stub: env.ROOMS.getByName(roomId) };
}

export type Frame = ServerFrame & Record<string, unknown>;
type Stub = ReturnType<typeof freshRoom>["stub"];

/** The upgrade request the Pages Function sends to the DO. */
export function upgradeRequest(roomId: string | null, uid: string | null, query = ""): Request {
  const headers = new Headers({ Upgrade: "websocket" });
  if (roomId !== null) headers.set("x-room-id", roomId);
  if (uid !== null) headers.set("x-room-uid", uid);
  return new Request(`http://room/ws${query}`, { headers });
}

const open: Client[] = [];

export class Client {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #unread: Frame[] = [];
  #wake: (() => void) | undefined;
  #closeInfo: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.#closeInfo = { code: e.code, reason: e.reason };
        resolve(this.#closeInfo);
        this.#wake?.();
      });
    });
    ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as Frame;
      this.frames.push(f);
      this.#unread.push(f);
      this.#wake?.();
    });
  }

  /** Connects and waits for `welcome`. */
  static async connect(stub: Stub, roomId: string, uid: string, query = ""): Promise<{ client: Client; welcome: Frame }> {
    const res = await stub.fetch(upgradeRequest(roomId, uid, query));
    if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    const client = new Client(res.webSocket);
    open.push(client);
    const welcome = await client.next((f) => f.type === "welcome");
    return { client, welcome };
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first unread frame matching `pred` (consumed), waiting up to `ms` for it. */
  async next(pred: (f: Frame) => boolean = () => true, ms = 3000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.#unread.findIndex(pred);
      if (i >= 0) return this.#unread.splice(i, 1)[0] as Frame;
      if (this.#closeInfo)
        throw new Error(`socket closed (${this.#closeInfo.code}) while waiting; unread: ${JSON.stringify(this.#unread)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; unread: ${JSON.stringify(this.#unread)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Unread frames matching `pred` after letting in-flight frames arrive. */
  async settle(pred: (f: Frame) => boolean = () => true, ms = 100): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.#unread.filter(pred);
  }

  /** Forgets unread frames. */
  drain(): void {
    this.#unread = [];
  }

  close(code = 1000): void {
    try {
      this.ws.close(code, "bye");
    } catch {
      // already closed
    }
  }
}

/**
 * Closes every socket opened by the tests and waits (up to 2 s) until each close is done (call in
 * afterEach), so no Room work outlives the test file and races the test runner's teardown.
 */
export async function closeAll(): Promise<void> {
  const closing = open.splice(0).map((c) => {
    c.close();
    return c.closed;
  });
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000))]);
}
