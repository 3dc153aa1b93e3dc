/**
 * Right to deletion: one uid's personal data is
 * anonymized across every table in ONE D1 batch (one transaction), money records keep their
 * amounts, and every identity column that named the person gets the same tombstone
 * `erased-<32 hex>`, so a payer's fee events and settlements still group under one key.
 *
 * The person is named in three forms: the raw uid, the thinker id and the public id verify
 * derives from it (`thinkerIdentity`, a keyed hash: pseudonymous, not anonymous). {@link ERASURE_TARGETS}
 * lists, table by table, where each form lives and what happens to it (docs/operations.md, Right to deletion).
 *
 * The batch starts with a guard that aborts it when none of those places names the person (an
 * unknown uid, or one already erased — also by a concurrent request): the route answers 404
 * and nothing, not even an event, is written. Otherwise the batch ends with one `thinker.erased`
 * event whose subject is the tombstone, never the uid.
 *
 * Before the batch, {@link eraseRooms} takes the person out of every Room Durable Object it ever
 * entered (`room_members`): chat messages deleted, other frames naming it rewritten to the
 * tombstone, sockets closed. It runs first so that a failure leaves D1 untouched and the request
 * can simply be repeated (a Room's erase is idempotent). Not reached: chat already delivered to
 * other people's browsers, and platform request logs (the erasure request's path names the uid).
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, rawBatch } from "../db/client";
import { newId } from "../db/ids";
import type { EraseResult } from "../rooms/room.do";
import { toHex } from "../core/crypto";

/** The forms of one person's identity, and the tombstone replacing them. */
export interface ErasureSubject {
  uid: string;
  /** `thinker-<16 hex>` and the keyed hash behind it (`thinkerIdentity(uid)`). */
  thinkerId: string;
  publicId: string;
  tombstone: string;
}

/** `erased-<128 random bits, hex>`: the form the fee ledger triggers accept as a new payer. */
export function newTombstone(): string {
  return `erased-${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** True for a value of the tombstone form. */
export const isTombstone = (s: string) => /^erased-[0-9a-f]{32}$/.test(s);

/** One place that can name the person, and what erasure does there. */
export interface ErasureTarget {
  /** Key in the response's `rows` counts. */
  name: string;
  table: string;
  /** Rows naming the person. */
  where: (s: ErasureSubject) => SQL;
  /** SET clause (tombstone / rewrite), or `delete` for rows that are only the person's data. */
  action: ((s: ErasureSubject, now: number) => SQL) | "delete";
}

const id = (name: string) => sql.identifier(name);

/** Replaces an identity column's value with the tombstone. */
const tombstoneColumn = (table: string, column: string, form: "uid" | "thinkerId" = "uid"): ErasureTarget => ({
  name: form === "uid" ? `${table}.${column}` : `${table}.${column}:thinker`,
  table,
  where: (s) => sql`${id(column)} = ${s[form]}`,
  action: (s) => sql`${id(column)} = ${s.tombstone}`,
});

/**
 * Rewrites every JSON string value equal to the uid or the thinker id (any depth, arrays too) to
 * the tombstone, by walking `json_tree` and applying `json_set` per path. Keys and other strings
 * that merely contain the uid are left alone (they are not the identity, and a plain text
 * replace of a short uid could corrupt unrelated values). `instr` pre-filters cheaply.
 */
function rewriteJson(table: string, column: string): ErasureTarget {
  const col = id(column);
  const t = id(table);
  const hits = (s: ErasureSubject) =>
    sql`SELECT 1 FROM json_tree(${t}.${col}) WHERE type = 'text' AND atom IN (${s.uid}, ${s.thinkerId})`;
  return {
    name: `${table}.${column}`,
    table,
    where: (s) =>
      sql`(instr(${col}, ${s.uid}) > 0 OR instr(${col}, ${s.thinkerId}) > 0) AND json_valid(${col}) AND EXISTS (${hits(s)})`,
    action: (s) => sql`${col} = (
      WITH RECURSIVE hits(n, path) AS (
        SELECT row_number() OVER (), fullkey FROM json_tree(${t}.${col})
        WHERE type = 'text' AND atom IN (${s.uid}, ${s.thinkerId})
      ), acc(n, doc) AS (
        SELECT 0, ${t}.${col}
        UNION ALL
        SELECT acc.n + 1, json_set(acc.doc, hits.path, ${s.tombstone}) FROM acc JOIN hits ON hits.n = acc.n + 1
      )
      SELECT doc FROM acc ORDER BY n DESC LIMIT 1)`,
  };
}

/**
 * Every place a uid (or its thinker / public id) is stored, in batch order. Money records
 * (`fee_events`, `settlements`, `transfers`, vouchers and bookings) keep every amount, status and
 * time; only their identity columns change, all to the one tombstone. Rows that are nothing but
 * the person's own ephemeral data (presence, tickets, their stored idempotent responses,
 * rate-limit counters, their personal legacy room's registry row) are deleted.
 */
export const ERASURE_TARGETS: readonly ErasureTarget[] = [
  {
    // The identity row stays as the tombstone (deleted_at set), its keyed hash and id replaced:
    // nothing left can be recomputed from the uid. A later verify of the same uid starts afresh.
    name: "thinkers",
    table: "thinkers",
    where: (s) => sql`public_id = ${s.publicId}`,
    action: (s, now) => sql`id = ${s.tombstone}, public_id = ${s.tombstone}, meta = '{}', deleted_at = ${now}`,
  },
  {
    name: "presence_sessions",
    table: "presence_sessions",
    where: (s) => sql`thinker_id = ${s.thinkerId}`,
    action: "delete",
  },
  // Device keys are only the person's: deleted (a device login with one then finds no key).
  { name: "device_keys", table: "device_keys", where: (s) => sql`uid = ${s.uid}`, action: "delete" },
  {
    // The original portal's personal room `room-<thinker_id>`: the id itself names the person.
    name: "rooms.personal",
    table: "rooms",
    where: (s) => sql`id = ${`room-${s.thinkerId}`}`,
    action: "delete",
  },
  tombstoneColumn("rooms", "owner_uid"),
  { name: "room_tickets", table: "room_tickets", where: (s) => sql`uid = ${s.uid}`, action: "delete" },
  // Deleted last of the room data: the Room DOs were erased first, from these rows (eraseRooms).
  { name: "room_members", table: "room_members", where: (s) => sql`uid IN (${s.uid}, ${s.thinkerId})`, action: "delete" },
  // Kept (with the tombstone), so a link used minutes ago still cannot be replayed.
  tombstoneColumn("used_link_nonces", "uid"),
  tombstoneColumn("vouchers", "issuer_uid"),
  tombstoneColumn("vouchers", "holder_uid"),
  tombstoneColumn("voucher_bookings", "issuer_uid"),
  tombstoneColumn("voucher_bookings", "holder_uid"),
  tombstoneColumn("events", "actor_uid"),
  // auth.verified names the thinker as its subject.
  tombstoneColumn("events", "subject_id", "thinkerId"),
  tombstoneColumn("events", "subject_id"),
  rewriteJson("events", "meta"),
  // The triggers (migrations 0005, 0009) allow exactly this change on the ledger: payer → 'erased-%'.
  tombstoneColumn("fee_events", "payer_uid"),
  tombstoneColumn("settlements", "payer_uid"),
  // Parts carry the settlement key too; rewritten with it, so the key still joins its events.
  tombstoneColumn("settlement_parts", "payer_uid"),
  {
    // A transfer log keeps its amounts, symbols, network, status and times (the fee ledger and the
    // stats need them); what points at the person is cleared: the wallet address, the bank
    // account, the free-text label and meta.
    name: "transfers.actor_uid",
    table: "transfers",
    where: (s) => sql`actor_uid = ${s.uid}`,
    action: (s, now) =>
      sql`actor_uid = ${s.tombstone}, wallet_address = NULL, external_account = NULL, label = NULL, meta = '{}', updated_at = ${now}`,
  },
  // The person's manifest posts and telemetry are only theirs: deleted.
  { name: "manifest_posts", table: "manifest_posts", where: (s) => sql`author_uid = ${s.uid}`, action: "delete" },
  {
    name: "telemetry_batches",
    table: "telemetry_batches",
    where: (s) => sql`caller_key = ${`uid:${s.uid}`}`,
    action: "delete",
  },
  // Mortgages. What the person entered about themselves (the property's address and details,
  // the application's financial data) is cleared; amounts, rates, statuses and times stay, so
  // signed contracts, tranches and their fees keep their sums. Deals still in the making end: an
  // open application is withdrawn (its open offers declined), an unsigned contract cancelled, an
  // unsubscribed tranche of an erased lender cancelled (its nominal leaves the contract's sum first).
  {
    name: "properties.owner_uid",
    table: "properties",
    where: (s) => sql`owner_uid = ${s.uid}`,
    action: (s, now) => sql`owner_uid = ${s.tombstone}, address = '{}', meta = '{}', updated_at = ${now}`,
  },
  {
    name: "mortgage_offers.declined",
    table: "mortgage_offers",
    where: (s) => sql`status = 'offered' AND application_id IN (
      SELECT id FROM mortgage_applications WHERE borrower_uid = ${s.uid} AND status IN ('open', 'offered'))`,
    action: (_s, now) => sql`status = 'declined', updated_at = ${now}`,
  },
  {
    name: "mortgage_applications.borrower_uid",
    table: "mortgage_applications",
    where: (s) => sql`borrower_uid = ${s.uid}`,
    action: (s, now) => sql`borrower_uid = ${s.tombstone}, meta = '{}', updated_at = ${now},
      status = CASE WHEN status IN ('open', 'offered') THEN 'withdrawn' ELSE status END`,
  },
  {
    name: "mortgage_application_lenders",
    table: "mortgage_application_lenders",
    where: (s) => sql`lender_uid = ${s.uid}`,
    action: "delete",
  },
  tombstoneColumn("mortgage_offers", "lender_uid"),
  tombstoneColumn("mortgage_offers", "borrower_uid"),
  {
    name: "mortgage_contracts.unsigned",
    table: "mortgage_contracts",
    where: (s) => sql`status IN ('draft', 'pending-notary') AND ${s.uid} IN (borrower_uid, lender_uid)`,
    action: (s, now) => sql`status = 'cancelled', cancelled_by = ${s.tombstone}, updated_at = ${now}`,
  },
  tombstoneColumn("mortgage_contracts", "lender_uid"),
  tombstoneColumn("mortgage_contracts", "borrower_uid"),
  tombstoneColumn("mortgage_contracts", "notary_uid"),
  tombstoneColumn("mortgage_contracts", "cancelled_by"),
  {
    name: "mortgage_contracts.tranched_amount",
    table: "mortgage_contracts",
    where: (s) => sql`id IN (SELECT contract_id FROM mortgage_tranches WHERE lender_uid = ${s.uid} AND status = 'offered')`,
    action: (s, now) => sql`updated_at = ${now}, tranched_amount = tranched_amount - (SELECT SUM(nominal_amount)
      FROM mortgage_tranches t WHERE t.contract_id = mortgage_contracts.id AND t.lender_uid = ${s.uid} AND t.status = 'offered')`,
  },
  {
    name: "mortgage_tranches.lender_uid",
    table: "mortgage_tranches",
    where: (s) => sql`lender_uid = ${s.uid}`,
    action: (s, now) => sql`lender_uid = ${s.tombstone}, updated_at = ${now},
      status = CASE WHEN status = 'offered' THEN 'cancelled' ELSE status END`,
  },
  tombstoneColumn("mortgage_tranches", "holder_uid"),
  // A party's roles end with it; the role history stays in the (rewritten) events.
  { name: "party_roles", table: "party_roles", where: (s) => sql`uid = ${s.uid}`, action: "delete" },
  { name: "parties", table: "parties", where: (s) => sql`uid = ${s.uid}`, action: "delete" },
  // Legal-hub documents. Every upload and link of the person is tombstoned first; then the
  // uploads attached to nothing (only the person's own papers) are deleted: status `deleted`, the
  // file name cleared, and the R2 object removed by the next sweep (`deleted_at` is set once it
  // is gone). A document linked to a voucher, room or mortgage object is evidence of a deal with
  // others and is kept for them, under the tombstone.
  tombstoneColumn("contracts", "created_by"),
  tombstoneColumn("contract_links", "created_by"),
  {
    name: "contracts.unshared",
    table: "contracts",
    where: (s) => sql`created_by = ${s.tombstone} AND status <> 'deleted'
      AND NOT EXISTS (SELECT 1 FROM contract_links l WHERE l.contract_id = contracts.id)`,
    action: () => sql`status = 'deleted', name = 'erased', deleted_at = NULL`,
  },
  {
    // The person's own stored responses (7-day replay cache): deleted, a replay is moot.
    name: "idempotency_keys.own",
    table: "idempotency_keys",
    where: (s) => sql`caller_key = ${`uid:${s.uid}`}`,
    action: "delete",
  },
  // Other callers' stored responses that name the person (a transfer to them…): rewritten, so
  // their replays still answer.
  rewriteJson("idempotency_keys", "response"),
  {
    name: "rate_limits",
    table: "rate_limits",
    // Keys are `<route id>|uid:<uid>`.
    where: (s) => sql`substr(key, -length(${`|uid:${s.uid}`})) = ${`|uid:${s.uid}`}`,
    action: "delete",
  },
];

/**
 * Who asked for an erasure, recorded as the `thinker.erased` event's actor: the operator
 * (`admin`) or the person themselves (`self`). Never the uid: the event must not name the person.
 */
export type ErasureActor = "admin" | "self";

/**
 * The erasure batch: the guard, one statement per target, the `thinker.erased` event. `now`
 * fills `thinkers.deleted_at` and the event time.
 */
export function erasureStatements(s: ErasureSubject, now: number, requestId: string, actor: ErasureActor = "admin"): SQL[] {
  const anyRow = sql.join(
    ERASURE_TARGETS.map((t) => sql`EXISTS (SELECT 1 FROM ${id(t.table)} WHERE ${t.where(s)})`),
    sql` OR `,
  );
  const statements = ERASURE_TARGETS.map((t) =>
    t.action === "delete"
      ? sql`DELETE FROM ${id(t.table)} WHERE ${t.where(s)}`
      : sql`UPDATE ${id(t.table)} SET ${t.action(s, now)} WHERE ${t.where(s)}`,
  );
  return [
    // Aborts the batch (NOT NULL on write_guards) when nothing names the person.
    sql`INSERT INTO write_guards (guard) SELECT NULL WHERE NOT (${anyRow})`,
    ...statements,
    sql`INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at)
      VALUES (${newId("ev", now)}, 'thinker.erased', ${actor}, 'thinker', ${s.tombstone}, '{}', ${requestId}, ${now})`,
  ];
}

/** Rows changed per target, from the batch results (guard first, event last). */
export function changedRows(results: ReadonlyArray<{ meta: { changes?: number } }>): Record<string, number> {
  const rows: Record<string, number> = {};
  ERASURE_TARGETS.forEach((t, i) => {
    rows[t.name] = results[i + 1]?.meta.changes ?? 0;
  });
  return rows;
}

/** Runs the erasure batch (one transaction); throws the guard abort when nothing names the person. */
export async function runErasure(db: Db, s: ErasureSubject, now: number, requestId: string, actor: ErasureActor = "admin") {
  const results = await rawBatch(db, erasureStatements(s, now, requestId, actor));
  return changedRows(results);
}

/** What {@link eraseRooms} did, summed over the rooms. */
export interface RoomsErased {
  rooms: number;
  socketsClosed: number;
  messagesDeleted: number;
  framesRewritten: number;
}

/** Room erasures in flight at once (each one Durable Object RPC). */
const ROOM_ERASE_CONCURRENCY = 6;

/**
 * Erases the person from every Room DO it entered (`room_members`, under the uid or, for legacy
 * compat clients, the thinker id) and from the used rooms of its vouchers. Throws on the first room that cannot be reached, before the
 * D1 batch runs, so a repeat of the request finishes the job.
 */
export async function eraseRooms(db: Db, s: ErasureSubject, erase: RoomEraser): Promise<RoomsErased> {
  // Rooms it entered, plus the used rooms of its vouchers and bookings: pushed voucher events name
  // the booking's holder even in a room the holder never opened.
  const entered = await db.all<{ roomId: string; uid: string }>(sql`
    SELECT room_id AS roomId, uid FROM room_members WHERE uid IN (${s.uid}, ${s.thinkerId})
    UNION
    SELECT id AS roomId, ${s.uid} AS uid FROM rooms WHERE id IN (
      SELECT 'voucher:' || voucher_id FROM voucher_bookings WHERE holder_uid = ${s.uid} OR issuer_uid = ${s.uid}
      UNION SELECT 'voucher:' || id FROM vouchers WHERE holder_uid = ${s.uid} OR issuer_uid = ${s.uid})`);
  const sum: RoomsErased = { rooms: 0, socketsClosed: 0, messagesDeleted: 0, framesRewritten: 0 };
  // Rooms are independent Durable Objects: a few calls at a time, not one after another (a person
  // with many voucher rooms would otherwise wait a round trip per room).
  let next = 0;
  const worker = async () => {
    for (let m = entered[next++]; m; m = entered[next++]) {
      const r = await erase(m.roomId, m.uid, s.tombstone);
      sum.rooms++;
      sum.socketsClosed += r.closed;
      sum.messagesDeleted += r.deleted;
      sum.framesRewritten += r.rewritten;
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROOM_ERASE_CONCURRENCY, entered.length) }, worker));
  return sum;
}

/** Erases `uid` from one room (the Room DO's `erase` RPC in production). */
export type RoomEraser = (roomId: string, uid: string, tombstone: string) => Promise<EraseResult>;
