/**
 * Right to deletion: `DELETE /api/admin/thinkers/:uid` (admin bearer). The erasure itself
 * ({@link erasePerson}) is shared with the person's own `DELETE /api/me`.
 *
 * @module
 */
import * as z from "zod";
import { isGuardAbort } from "../db/client";
import { identityHashKey } from "../core/config";
import { AppError, badRequest, notFound } from "../core/errors";
import type { Logger } from "../core/log";
import type { Db } from "../db/client";
import { type AnyRoute, defineRoute } from "../http/route";
import { StoredUid } from "../identity/schemas";
import { thinkerIdentity } from "../identity/thinker";
import { roomStub } from "../rooms/stub";
import { ERASURE_TARGETS, type ErasureActor, type RoomsErased, eraseRooms, newTombstone, runErasure } from "./erase";

/** The answer of an erasure (admin route and self-service alike). */
export const ErasureResponse = z.object({
  ok: z.literal(true),
  tombstone: z.string(),
  erasedAt: z.string(),
  rows: z.object(Object.fromEntries(ERASURE_TARGETS.map((t) => [t.name, z.number().int()]))),
  rooms: z.object({
    rooms: z.number().int(),
    socketsClosed: z.number().int(),
    messagesDeleted: z.number().int(),
    framesRewritten: z.number().int(),
  }),
});

/** What {@link erasePerson} needs of a request. */
export interface ErasureContext {
  env: Env;
  db: Db;
  now: number;
  requestId: string;
  log: Logger;
}

/**
 * Anonymizes `uid` everywhere: first its Room DOs (chat deleted, sockets closed), then D1 in one
 * batch ending with a `thinker.erased` event by `actor`. 503 `room_erasure_failed` leaves D1
 * untouched (a repeat finishes the job); 404 `thinker_not_found` when nothing names the uid.
 */
export async function erasePerson(
  ctx: ErasureContext,
  uid: string,
  actor: ErasureActor,
): Promise<z.output<typeof ErasureResponse>> {
  const { publicId, thinkerId } = await thinkerIdentity(uid, identityHashKey(ctx.env));
  const subject = { uid, thinkerId, publicId, tombstone: newTombstone() };
  let rooms: RoomsErased;
  try {
    rooms = await eraseRooms(ctx.db, subject, (roomId, who, tombstone) => roomStub(ctx.env, roomId).erase(who, tombstone));
  } catch (err) {
    ctx.log("error", "room erasure failed", { error: String(err) });
    throw new AppError(
      503,
      "room_erasure_failed",
      "a room could not be reached; nothing was erased in D1, repeat the request",
      undefined,
      {
        "retry-after": "5",
      },
    );
  }
  let rows: Record<string, number>;
  try {
    rows = await runErasure(ctx.db, subject, ctx.now, ctx.requestId, actor);
  } catch (err) {
    if (isGuardAbort(err)) throw notFound("thinker_not_found", "nothing stored names this uid (never seen, or already erased)");
    throw err;
  }
  ctx.log("info", "thinker erased", { tombstone: subject.tombstone, by: actor });
  return { ok: true, tombstone: subject.tombstone, erasedAt: new Date(ctx.now).toISOString(), rows, rooms };
}

export const erase = defineRoute({
  id: "admin.thinkers.erase",
  method: "DELETE",
  path: "/api/admin/thinkers/:uid",
  tag: "admin",
  summary:
    "Anonymize a uid everywhere: first its Room DOs (chat deleted, sockets closed), then D1 in one batch: identity columns → one tombstone `erased-<hex>` (money amounts unchanged), the person's ephemeral rows deleted, one `thinker.erased` event. 404 when nothing names the uid (unknown or already erased).",
  auth: "admin",
  access: "write",
  // A repeat finds nothing left to erase and answers 404: the outcome is stable without a stored response.
  idempotent: false,
  response: ErasureResponse,
  errors: {
    bad_uid: "400 not a uid",
    thinker_not_found: "404 nothing stored names this uid (never seen, or already erased)",
    not_configured: "503 IDENTITY_HASH_KEY unset",
    room_erasure_failed: "503 a Room DO could not be reached; D1 untouched, repeat the request",
  },
  async handler(ctx) {
    const uid = ctx.params.uid ?? "";
    if (!StoredUid.safeParse(uid).success) throw badRequest("bad_uid", "uid must be 1-128 characters of A-Z a-z 0-9 . _ -");
    return { body: await erasePerson(ctx, uid, "admin") };
  },
});

/** Every privacy route, for the registry. */
export const privacyRoutes: readonly AnyRoute[] = [erase];
