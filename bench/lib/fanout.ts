/**
 * WebSocket fan-out measurement of `npm run bench:rooms`: one sender and N receivers in one room,
 * all in this Node process (Node's built-in WebSocket, `--experimental-websocket`), timed with
 * `performance.now()`. Target-agnostic: the Room and the bare broadcast DO are measured by the
 * same code; a target only differs in the URLs its sockets dial.
 */

/** Message ids are `[A-Za-z0-9_.:-]` (the Room's ClientId), so they never need escaping. */
const ID_KEY = '"id":"';
const CHAT_PREFIX = '{"type":"chat"';

/** Opens a socket and waits for its first `welcome` frame (or fails on close, error or timeout). */
export function dial(url: string, timeoutMs = 20_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => fail(new Error(`no welcome from ${url} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.removeEventListener("message", onMessage);
      try {
        ws.close();
      } catch {
        // not open
      }
      reject(err);
    };
    const onMessage = (e: MessageEvent) => {
      if (typeof e.data === "string" && e.data.startsWith('{"type":"welcome"')) {
        clearTimeout(timer);
        ws.removeEventListener("message", onMessage);
        resolve(ws);
      }
    };
    ws.addEventListener("message", onMessage);
    ws.addEventListener("error", () => fail(new Error(`WebSocket error dialing ${url.replace(/ticket=[^&]+/, "ticket=…")}`)));
    ws.addEventListener("close", (e) => fail(new Error(`closed (${e.code} ${e.reason}) before welcome`)));
  });
}

/** One measured (or warm-up) slice. */
export interface SliceResult {
  messages: number;
  /** Receipts counted (must be messages × receivers). */
  deliveries: number;
  /** First send → last message's last receipt. */
  elapsedMs: number;
  /** Per message: send → its last (N-th) receipt, ms, in completion order. */
  latencies: number[];
  /** This process's CPU (user + system) during the slice, ms. */
  clientCpuMs: number;
  /** Receipts of a message a receiver had already received, or of an unknown id (must be 0). */
  anomalies: number;
}

/** Options of {@link FanoutRoom.run}. */
export interface SliceOptions {
  messages: number;
  /** Messages in flight at most (sent, not yet received by every receiver). */
  window: number;
  /** Unique per slice: message ids are `<prefix>-<n>` (the Room deduplicates by id per sender). */
  prefix: string;
  text: string;
  /** A slice that makes no progress for this long fails. */
  stallMs?: number;
}

interface InFlight {
  sent: number;
  got: number;
  seen: Uint8Array;
}

/**
 * A connected room: `sender` sends chat frames, every receiver must get each of them once.
 * Receipts are matched by the message id read from the frame text (no JSON.parse: the same cheap
 * scan for both targets, whose frames differ in shape).
 */
export class FanoutRoom {
  #onChat: ((id: string, t: number, receiver: number) => void) | null = null;
  #onProblem: ((msg: string) => void) | null = null;

  constructor(
    readonly name: string,
    readonly sender: WebSocket,
    readonly receivers: readonly WebSocket[],
  ) {
    receivers.forEach((ws, i) => {
      ws.addEventListener("message", (e) => {
        const t = performance.now();
        const data = e.data;
        if (typeof data !== "string" || !data.startsWith(CHAT_PREFIX)) return;
        const at = data.indexOf(ID_KEY);
        if (at < 0) return;
        const from = at + ID_KEY.length;
        this.#onChat?.(data.slice(from, data.indexOf('"', from)), t, i);
      });
    });
    for (const ws of [sender, ...receivers]) {
      ws.addEventListener("close", (e) => this.#onProblem?.(`${name}: a socket closed (${e.code} ${e.reason})`));
    }
    sender.addEventListener("message", (e) => {
      // The Room answers a refused frame with an error (e.g. rate_limited): the slice is invalid.
      if (typeof e.data === "string" && e.data.startsWith('{"type":"error"')) this.#onProblem?.(`${name}: ${e.data}`);
    });
  }

  /** Sends `messages` chat frames keeping at most `window` in flight; resolves when all arrived everywhere. */
  run(o: SliceOptions): Promise<SliceResult> {
    const n = this.receivers.length;
    const inflight = new Map<string, InFlight>();
    const latencies: number[] = [];
    let sent = 0;
    let done = 0;
    let deliveries = 0;
    let anomalies = 0;
    let lastProgress = performance.now();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();

    return new Promise<SliceResult>((resolve, reject) => {
      const stall = setInterval(() => {
        if (performance.now() - lastProgress > (o.stallMs ?? 30_000)) {
          finish(new Error(`${this.name}: no progress for ${o.stallMs ?? 30_000} ms (${done}/${o.messages} complete)`));
        }
      }, 1_000);
      const finish = (err: Error | null, tEnd = performance.now()) => {
        clearInterval(stall);
        this.#onChat = null;
        this.#onProblem = null;
        if (err) return reject(err);
        const cpu = process.cpuUsage(cpu0);
        resolve({
          messages: o.messages,
          deliveries,
          elapsedMs: tEnd - t0,
          latencies,
          clientCpuMs: (cpu.user + cpu.system) / 1000,
          anomalies,
        });
      };
      const sendNext = () => {
        const id = `${o.prefix}-${sent++}`;
        inflight.set(id, { sent: performance.now(), got: 0, seen: new Uint8Array(n) });
        this.sender.send(`{"type":"chat","id":"${id}","text":"${o.text}"}`);
      };
      this.#onProblem = (msg) => finish(new Error(msg));
      this.#onChat = (id, t, receiver) => {
        const m = inflight.get(id);
        if (!m || m.seen[receiver]) {
          anomalies++;
          return;
        }
        m.seen[receiver] = 1;
        deliveries++;
        if (++m.got < n) return;
        inflight.delete(id);
        latencies.push(t - m.sent);
        lastProgress = t;
        done++;
        if (sent < o.messages) sendNext();
        else if (done === o.messages) finish(null, t);
      };
      for (let i = 0; i < Math.min(o.window, o.messages); i++) sendNext();
    });
  }

  /** Closes every socket (normal closure). */
  close(): void {
    this.#onProblem = null;
    for (const ws of [this.sender, ...this.receivers]) {
      try {
        ws.close(1000, "bench done");
      } catch {
        // already closed
      }
    }
  }
}
