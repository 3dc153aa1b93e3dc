/**
 * Test helpers: call the API app inside workerd with the test file's real D1, and mint
 * signed links and sessions the way the offline manifest and the verify route do.
 */
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { apiDocument } from "../../src/docs/openapi";
import { toHex, hmac } from "../../src/core/crypto";
import { type ContractDoc, ResponseContract } from "./openapi";

/** The test env (bindings from wrangler.toml + test secrets). */
export const testEnv = env as unknown as Env;

/** The same bindings with `AUTH_MODE=compat` (an asserted uid may stand in for a session). */
export const compatEnv = { ...testEnv, AUTH_MODE: "compat" } as Env;

let contract: ResponseContract | null = null;

/**
 * Fails the test unless `res` is what the OpenAPI document declares for this request: the
 * operation's success schema, or the error envelope of that status with a declared code.
 */
export async function checkContract(method: string, path: string, res: Response): Promise<void> {
  contract ??= new ResponseContract(apiDocument() as unknown as ContractDoc);
  const body = res.status === 101 ? "" : await res.clone().text();
  contract.check({ method, path, status: res.status, contentType: res.headers.get("content-type"), body });
}

/** Sends a request to the API app; every response is checked against the OpenAPI document. */
export async function call(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; session?: string; raw?: string } = {},
  e: Env = testEnv,
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.session) headers.authorization = `Bearer ${init.session}`;
  let body: string | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] ??= "application/json";
  }
  const method = init.method ?? (body === undefined ? "GET" : "POST");
  const res = await app.request(`http://localhost${path}`, { method, headers, body }, e);
  await checkContract(method, path, res);
  return res;
}

/** Sends a request and returns status and parsed JSON (checked against the OpenAPI document by `call`). */
export async function json<T = Record<string, any>>(
  path: string,
  init?: Parameters<typeof call>[1],
  e?: Env,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await call(path, init, e);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as T, headers: res.headers };
}

/** A signed manifest link for `uid` at `ts` (defaults: now, the test's current secret). */
export async function signedLink(uid: string, ts = Date.now(), secret = testEnv.MOT_SHARED_SECRET, mot = "mot-shared-token-v1") {
  const sig = toHex(await hmac(secret, `${mot}.${uid}.${ts}`));
  return { mot, uid, ts, sig };
}

let counter = 0;
/** A fresh uid per call, so tests in one file never collide. */
export const newUid = (label = "u") =>
  `${label}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Verifies a fresh link for a new (or given) uid and returns uid and session token. */
export async function login(uid = newUid()): Promise<{ uid: string; session: string; thinkerId: string }> {
  const res = await json<{ session: string; thinker_id: string }>("/api/presence/verify", { body: await signedLink(uid) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { uid, session: res.body.session, thinkerId: res.body.thinker_id };
}

const HOUR = 3_600_000;

/** Issues a voucher valid from the next full hour for `hours` hours. */
export async function issueVoucher(who: { uid: string; session: string }, extra: Record<string, unknown> = {}, hours = 48) {
  const validFrom = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  const res = await json("/api/voucher/issue", {
    session: who.session,
    body: {
      issuerUid: who.uid,
      title: "Test session",
      validFrom: new Date(validFrom).toISOString(),
      validUntil: new Date(validFrom + hours * HOUR).toISOString(),
      price: { amount: 5000, currency: "EUR" },
      ...extra,
    },
  });
  if (res.status !== 200) throw new Error(`issue failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { voucher: res.body.voucher, validFrom };
}

/** `slot-<ISO>` of the n-th grid slot. */
export const slotAt = (validFrom: number, n: number) => `slot-${new Date(validFrom + n * HOUR).toISOString()}`;
