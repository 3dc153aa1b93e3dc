/**
 * Right of access: `GET /api/me/export` answers everything stored about the caller as one JSON
 * download — the D1 rows that name them (table by table, {@link EXPORT_SECTIONS}) and the chat
 * messages they wrote that the Room Durable Objects still retain.
 *
 * Rows are exported as stored (column names as in the database), each rendered as JSON by SQLite
 * itself (`json_object`) and spliced into the answer as text: an integer is written with all its
 * digits, never passed through a JavaScript number (money totals may exceed 2^53), and JSON columns
 * (`meta`, `terms`…) are embedded as JSON, not as strings.
 *
 * Bounded: at most {@link EXPORT_ROWS_PER_TABLE} rows per section (newest first), chat from at most
 * {@link EXPORT_ROOMS} rooms (the most recently entered) and {@link EXPORT_MESSAGES_PER_ROOM}
 * messages per room. Every cut is stated in the answer (`truncated` per section, per room and for
 * the room list, and a top-level `truncated` when any of them is true), so a caller never mistakes
 * a partial export for a complete one.
 *
 * @module
 */
import { type SQL, getTableColumns, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as z from "zod";
import { identityHashKey } from "../core/config";
import { AppError } from "../core/errors";
import {
  contractLinks,
  contracts,
  deviceKeys,
  events,
  feeEvents,
  manifestPosts,
  mortgageApplicationLenders,
  mortgageApplications,
  mortgageContracts,
  mortgageOffers,
  mortgageTranches,
  parties,
  partyRoles,
  presenceSessions,
  properties,
  roomMembers,
  rooms,
  settlements,
  telemetryBatches,
  thinkers,
  transfers,
  usedLinkNonces,
  voucherBookings,
  vouchers,
} from "../db/schema";
import { callerOf } from "../http/authenticate";
import { defineRoute } from "../http/route";
import { thinkerIdentity } from "../identity/thinker";
import type { WrittenMessages } from "../rooms/room.do";
import { roomStub } from "../rooms/stub";

/** Rows per section at most. */
export const EXPORT_ROWS_PER_TABLE = 1000;
/** Rooms whose chat is read at most (those entered most recently). */
export const EXPORT_ROOMS = 100;
/** Chat messages per room at most (newest first). */
export const EXPORT_MESSAGES_PER_ROOM = 200;
/** Room DO reads in flight at once. */
const ROOM_READ_CONCURRENCY = 6;
/** Format tag of the file, so a reader knows which layout it holds. */
export const EXPORT_FORMAT = "together-systems-export/1";

/** The forms of the caller's identity a row may name. */
interface Subject {
  uid: string;
  thinkerId: string;
  publicId: string;
}

/** One section of the export: the rows of `table` that name the person. */
interface ExportSection {
  name: string;
  table: SQLiteTable;
  where: (s: Subject) => SQL;
  /** Columns that hold JSON text, embedded as JSON. */
  json?: readonly string[];
}

const c = (name: string) => sql.identifier(name);

/**
 * Every table that can name the person, as the right to deletion lists them (src/privacy/erase.ts),
 * minus what is no personal record: other callers' cached responses, rate-limit counters and room
 * tickets (30 s).
 */
export const EXPORT_SECTIONS: readonly ExportSection[] = [
  { name: "thinker", table: thinkers, where: (s) => sql`${c("public_id")} = ${s.publicId}`, json: ["meta"] },
  { name: "usedLinks", table: usedLinkNonces, where: (s) => sql`${c("uid")} = ${s.uid}` },
  { name: "presence", table: presenceSessions, where: (s) => sql`${c("thinker_id")} = ${s.thinkerId}` },
  { name: "deviceKeys", table: deviceKeys, where: (s) => sql`${c("uid")} = ${s.uid}`, json: ["public_key"] },
  { name: "party", table: parties, where: (s) => sql`${c("uid")} = ${s.uid}` },
  { name: "roles", table: partyRoles, where: (s) => sql`${c("uid")} = ${s.uid}` },
  { name: "vouchersIssued", table: vouchers, where: (s) => sql`${c("issuer_uid")} = ${s.uid}`, json: ["terms"] },
  { name: "vouchersHeld", table: vouchers, where: (s) => sql`${c("holder_uid")} = ${s.uid}`, json: ["terms"] },
  {
    name: "bookings",
    table: voucherBookings,
    where: (s) => sql`(${c("holder_uid")} = ${s.uid} OR ${c("issuer_uid")} = ${s.uid})`,
  },
  {
    name: "events",
    table: events,
    where: (s) => sql`(${c("actor_uid")} = ${s.uid} OR ${c("subject_id")} IN (${s.uid}, ${s.thinkerId}))`,
    json: ["meta"],
  },
  { name: "feeEvents", table: feeEvents, where: (s) => sql`${c("payer_uid")} = ${s.uid}` },
  { name: "settlements", table: settlements, where: (s) => sql`${c("payer_uid")} = ${s.uid}` },
  { name: "transfers", table: transfers, where: (s) => sql`${c("actor_uid")} = ${s.uid}`, json: ["meta"] },
  { name: "manifestPosts", table: manifestPosts, where: (s) => sql`${c("author_uid")} = ${s.uid}`, json: ["body"] },
  // Documents: their metadata and hash; the files themselves are downloaded one by one.
  { name: "documents", table: contracts, where: (s) => sql`${c("created_by")} = ${s.uid}` },
  { name: "documentLinks", table: contractLinks, where: (s) => sql`${c("created_by")} = ${s.uid}` },
  { name: "properties", table: properties, where: (s) => sql`${c("owner_uid")} = ${s.uid}`, json: ["address", "meta"] },
  {
    name: "mortgageApplications",
    table: mortgageApplications,
    where: (s) => sql`${c("borrower_uid")} = ${s.uid}`,
    json: ["meta"],
  },
  { name: "mortgageInvitations", table: mortgageApplicationLenders, where: (s) => sql`${c("lender_uid")} = ${s.uid}` },
  {
    name: "mortgageOffers",
    table: mortgageOffers,
    where: (s) => sql`${s.uid} IN (${c("lender_uid")}, ${c("borrower_uid")})`,
    json: ["terms"],
  },
  {
    name: "mortgageContracts",
    table: mortgageContracts,
    where: (s) => sql`${s.uid} IN (${c("borrower_uid")}, ${c("lender_uid")}, ${c("notary_uid")})`,
  },
  {
    name: "mortgageTranches",
    table: mortgageTranches,
    where: (s) => sql`${s.uid} IN (${c("lender_uid")}, ${c("holder_uid")})`,
  },
  {
    name: "roomsOwned",
    table: rooms,
    where: (s) => sql`(${c("owner_uid")} = ${s.uid} OR ${c("id")} = ${`room-${s.thinkerId}`})`,
    json: ["meta"],
  },
  { name: "roomMemberships", table: roomMembers, where: (s) => sql`${c("uid")} IN (${s.uid}, ${s.thinkerId})` },
  {
    name: "telemetry",
    table: telemetryBatches,
    where: (s) => sql`${c("caller_key")} = ${`uid:${s.uid}`}`,
    json: ["items"],
  },
];

/** `json_object('col', col, …)` of every column of `table`, JSON columns embedded as JSON. */
function rowJson(section: ExportSection): SQL<string> {
  const json = new Set(section.json ?? []);
  const args = Object.values(getTableColumns(section.table)).map((col) => {
    // A JSON column holding something else (never written so, but stored data outlives code) is
    // exported as its text rather than failing the whole export.
    const value = json.has(col.name)
      ? sql`CASE WHEN json_valid(${c(col.name)}) THEN json(${c(col.name)}) ELSE ${c(col.name)} END`
      : c(col.name);
    return sql`${col.name}, ${value}`;
  });
  return sql<string>`json_object(${sql.join(args, sql`, `)})`;
}

const Rows = z.object({ rows: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() });
const Message = z.object({ seq: z.number().int(), at: z.string(), id: z.string().nullable(), text: z.string() });

/** The export file (the body of `GET /api/me/export`). */
export const ExportResponse = z.object({
  ok: z.literal(true),
  format: z.literal(EXPORT_FORMAT),
  exportedAt: z.string(),
  uid: z.string(),
  thinker_id: z.string(),
  limits: z.object({ rowsPerTable: z.number().int(), rooms: z.number().int(), messagesPerRoom: z.number().int() }),
  /** True when any section, room or the room list was cut at its limit. */
  truncated: z.boolean(),
  tables: z.object(Object.fromEntries(EXPORT_SECTIONS.map((s) => [s.name, Rows]))),
  chat: z.object({
    rooms: z.array(z.object({ roomId: z.string(), messages: z.array(Message), truncated: z.boolean() })),
    /** More rooms hold messages of the person than were read. */
    truncated: z.boolean(),
  }),
});

export const exportRoute = defineRoute({
  id: "me.export",
  method: "GET",
  path: "/api/me/export",
  tag: "identity",
  summary: `Everything stored about the verified caller, as a JSON download (\`together-systems-<uid>.json\`): every D1 row that names them, table by table as stored, and the chat messages they wrote that the rooms still retain. Bounded: at most ${EXPORT_ROWS_PER_TABLE} rows per table, chat of the ${EXPORT_ROOMS} most recently entered rooms, ${EXPORT_MESSAGES_PER_ROOM} messages per room; each cut is flagged \`truncated\`. Never cached.`,
  auth: "verified",
  access: "read",
  response: ExportResponse,
  errors: {
    room_unavailable: "503 a room could not be read; nothing is answered rather than an incomplete chat (retry)",
    not_configured: "503 IDENTITY_HASH_KEY unset",
  },
  async handler(ctx) {
    const uid = callerOf(ctx);
    const subject: Subject = { uid, ...(await thinkerIdentity(uid, identityHashKey(ctx.env))) };
    const queries = EXPORT_SECTIONS.map((s) =>
      ctx.db
        .select({ row: rowJson(s) })
        .from(s.table)
        .where(s.where(subject))
        .orderBy(sql`rowid DESC`)
        .limit(EXPORT_ROWS_PER_TABLE + 1),
    );
    const roomsQuery = ctx.db
      .select({ roomId: roomMembers.roomId, uid: roomMembers.uid })
      .from(roomMembers)
      .where(sql`${roomMembers.uid} IN (${uid}, ${subject.thinkerId})`)
      .orderBy(sql`${roomMembers.lastAt} DESC`, roomMembers.roomId)
      .limit(EXPORT_ROOMS + 1);
    // One batch: the session check rides in front of it.
    const [entered, ...results] = (await ctx.read([roomsQuery, ...queries])) as [
      Array<{ roomId: string; uid: string }>,
      ...Array<Array<{ row: string }>>,
    ];
    let truncated = false;
    const tables = EXPORT_SECTIONS.map((s, i) => {
      const rows = results[i] ?? [];
      const cut = rows.length > EXPORT_ROWS_PER_TABLE;
      truncated ||= cut;
      const text = rows
        .slice(0, EXPORT_ROWS_PER_TABLE)
        .map((r) => r.row)
        .join(",");
      return `${JSON.stringify(s.name)}:{"rows":[${text}],"truncated":${cut}}`;
    });

    const roomsCut = entered.length > EXPORT_ROOMS;
    const chat = await readChat(ctx.env, entered.slice(0, EXPORT_ROOMS), ctx.log);
    truncated ||= roomsCut || chat.some((r) => r.truncated);
    const head = {
      ok: true,
      format: EXPORT_FORMAT,
      exportedAt: new Date(ctx.now).toISOString(),
      uid,
      thinker_id: subject.thinkerId,
      limits: { rowsPerTable: EXPORT_ROWS_PER_TABLE, rooms: EXPORT_ROOMS, messagesPerRoom: EXPORT_MESSAGES_PER_ROOM },
      truncated,
      chat: { rooms: chat, truncated: roomsCut },
    };
    // The JSON-encoded head, with the tables (SQLite's JSON text, never parsed) spliced in.
    const body = `${JSON.stringify(head).slice(0, -1)},"tables":{${tables.join(",")}}}`;
    return {
      body,
      headers: { "content-disposition": `attachment; filename="together-systems-${uid}.json"` },
    };
  },
});

type ChatRoom = {
  roomId: string;
  messages: Array<{ seq: number; at: string; id: string | null; text: string }>;
  truncated: boolean;
};

/**
 * The person's messages in each room, a few rooms at a time. A room that cannot be read fails the
 * export (503): an export silently missing a room's chat would claim to be complete.
 */
async function readChat(
  env: Env,
  entered: ReadonlyArray<{ roomId: string; uid: string }>,
  log: (level: "error", msg: string, fields?: Record<string, unknown>) => void,
): Promise<ChatRoom[]> {
  const out: Array<ChatRoom | undefined> = new Array(entered.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < entered.length; i = next++) {
      const m = entered[i] as { roomId: string; uid: string };
      let found: WrittenMessages;
      try {
        found = await roomStub(env, m.roomId).messagesBy(m.uid, EXPORT_MESSAGES_PER_ROOM);
      } catch (err) {
        log("error", "export: room unreadable", { roomId: m.roomId, error: String(err) });
        throw new AppError(503, "room_unavailable", "a room could not be read; retry the export", undefined, {
          "retry-after": "5",
        });
      }
      out[i] = {
        roomId: m.roomId,
        messages: found.messages.map((x) => ({ seq: x.seq, at: new Date(x.at).toISOString(), id: x.id, text: x.text })),
        truncated: found.truncated,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROOM_READ_CONCURRENCY, entered.length) }, worker));
  // Rooms without a message of the person are left out: nothing of theirs is stored there.
  return out.filter((r): r is ChatRoom => r !== undefined && r.messages.length > 0);
}
