/**
 * Self-service for a verified person: who am I (`GET /api/me`), the right to deletion without an
 * operator (`DELETE /api/me`, the same erasure as the admin route) and the right of access
 * (`GET /api/me/export`, everything stored about the caller as one JSON download).
 *
 * All three need a verified session (`auth: "verified"`): AUTH_MODE=compat never lets an asserted
 * uid read or erase a person.
 *
 * @module
 */
import { and, desc, eq, isNull } from "drizzle-orm";
import * as z from "zod";
import { badRequest } from "../core/errors";
import { PARTY_ROLES, deviceKeys, partyRoles } from "../db/schema";
import { callerOf, sessionOf } from "../http/authenticate";
import { type AnyRoute, defineRoute } from "../http/route";
import { clearSessionCookie } from "../identity/session";
import { pairCodeQuery } from "../presence/login";
import { exportRoute } from "./export";
import { ErasureResponse, erasePerson } from "./routes";

const ok = z.literal(true);

/** A registered device key as its owner sees it (the public key itself is not repeated). */
export const DeviceKeyOut = z.object({
  keyId: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

/** The answer of `GET /api/me`. */
export const MeResponse = z.object({
  ok,
  uid: z.string(),
  thinker_id: z.string(),
  /** The pair code of the person's last heartbeat, if any. */
  pair_code: z.string().nullable(),
  /**
   * Roles an admin granted (mortgage parties: `lender`, `notary`), sorted. Borrowing and
   * subscribing to tranches need no role; admin is a bearer token, never a person.
   */
  roles: z.array(z.enum(PARTY_ROLES)),
  /** When the session that made this request expires (ISO 8601). */
  expiresAt: z.string(),
  /** The person's live device keys (public part never included), newest first. */
  deviceKeys: z.array(DeviceKeyOut),
});

export const me = defineRoute({
  id: "me.get",
  method: "GET",
  path: "/api/me",
  tag: "identity",
  summary:
    "Who the verified caller is: uid, thinker id, pair code, granted party roles, the session's expiry and the registered device keys. Never cached.",
  auth: "verified",
  access: "read",
  response: MeResponse,
  async handler(ctx) {
    const uid = callerOf(ctx);
    const session = sessionOf(ctx);
    const thinkerId = session.thinkerId;
    const [presence, roles, keys] = await ctx.read([
      pairCodeQuery(ctx.db, thinkerId),
      ctx.db.select({ role: partyRoles.role }).from(partyRoles).where(eq(partyRoles.uid, uid)).orderBy(partyRoles.role),
      ctx.db
        .select({
          keyId: deviceKeys.id,
          label: deviceKeys.label,
          createdAt: deviceKeys.createdAt,
          lastUsedAt: deviceKeys.lastUsedAt,
        })
        .from(deviceKeys)
        .where(and(eq(deviceKeys.uid, uid), isNull(deviceKeys.revokedAt)))
        .orderBy(desc(deviceKeys.createdAt), desc(deviceKeys.id)),
    ]);
    return {
      body: {
        ok: true,
        uid,
        thinker_id: thinkerId,
        pair_code: presence[0]?.pairCode ?? null,
        roles: roles.map((r) => r.role),
        expiresAt: new Date(session.expiresAt).toISOString(),
        deviceKeys: keys.map((k) => ({
          keyId: k.keyId,
          label: k.label,
          createdAt: new Date(k.createdAt).toISOString(),
          lastUsedAt: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
        })),
      },
    };
  },
});

export const eraseMe = defineRoute({
  id: "me.erase",
  method: "DELETE",
  path: "/api/me",
  tag: "identity",
  summary:
    "Erase oneself: the same anonymization as `DELETE /api/admin/thinkers/:uid` (Room DOs first, then one D1 batch), the same answer; the body must repeat the caller's own uid as `confirm`. The session ends with it (every later request with it answers 401) and the cookie is cleared.",
  auth: "verified",
  access: "write",
  // A repeat finds the session ended (401 session_revoked): stable without a stored response.
  idempotent: false,
  body: z.strictObject({ confirm: z.string().max(256) }),
  response: ErasureResponse,
  errors: {
    confirm_mismatch: "400 confirm is not the caller's own uid; nothing was erased",
    room_erasure_failed: "503 a Room DO could not be reached; D1 untouched, repeat the request",
    not_configured: "503 IDENTITY_HASH_KEY unset",
  },
  async handler(ctx) {
    const uid = callerOf(ctx);
    if (ctx.body.confirm !== uid) throw badRequest("confirm_mismatch", "confirm must be your own uid");
    // Only a live session erases: the revocation check runs before any room is touched.
    await ctx.settle();
    const body = await erasePerson(ctx, uid, "self");
    return { body, headers: { "set-cookie": clearSessionCookie(ctx.url) } };
  },
});

/** The self-service routes, for the registry. */
export const meRoutes: readonly AnyRoute[] = [me, eraseMe, exportRoute];
