/**
 * Schemas of manifest sync. The export envelope is validated strictly by the pipeline; each post
 * inside it is validated on its own ({@link ManifestPost}), so one malformed post is reported as
 * `invalid` without refusing the valid ones next to it.
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";

/** Most posts one export may carry; a bigger export is refused whole (400) — split it. */
export const MAX_POSTS_PER_SUBMIT = 100;
/** Longest post content, characters (the request body cap of 32 KiB bounds the export as a whole). */
export const MAX_CONTENT_CHARS = 8_000;
/** Largest `meta` object of a post, serialised. */
export const MAX_POST_META_BYTES = 2_048;

/** The client's id for a post: stable across re-exports of the same post. */
export const ClientId = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, "must be 1-80 characters of A-Z a-z 0-9 . _ : -");
/** A post type: lower-case key, default `post`. */
export const PostType = z.string().regex(/^[a-z0-9._-]{1,40}$/, "must be a lower-case key of 1-40 characters, e.g. post");

/** An instant as the offline app writes it: ISO-8601 with offset, or epoch milliseconds. */
const ClientInstant = z.union([
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  z.number().int().min(0).max(8_640_000_000_000_000),
]);

/** Largest forum field (`reactions`, `comments`, `identity`) of a post, serialised. */
export const MAX_FORUM_FIELD_BYTES = 4_096;

/** Any JSON value that serialises to at most {@link MAX_FORUM_FIELD_BYTES} bytes. */
const BoundedJson = z.unknown().refine((v) => v !== undefined && (JSON.stringify(v)?.length ?? 0) <= MAX_FORUM_FIELD_BYTES, {
  message: `must serialise to at most ${MAX_FORUM_FIELD_BYTES} bytes`,
});

/**
 * One post of the offline export. `clientId` (or `id`, the offline forum's name) keys it under
 * the submitting author; `content` (or `body`) is its text. `baseVersion` is the server version
 * the client last saw: the post is only changed while the server is still at that version, else
 * it is reported as `conflict`. Without `baseVersion`, a client `updatedAt` older than (or equal
 * to) the stored one is a conflict; with neither, the newer submission wins.
 */
export const ManifestPost = z
  .strictObject({
    clientId: ClientId.optional(),
    id: ClientId.optional(),
    type: PostType.default("post"),
    visibility: z.enum(["public", "private"]).default("public"),
    title: z.string().max(200).nullable().optional(),
    content: z.string().max(MAX_CONTENT_CHARS).optional(),
    body: z.string().max(MAX_CONTENT_CHARS).optional(),
    tags: z.array(z.string().min(1).max(40)).max(20).optional(),
    initials: z.string().max(8).optional(),
    createdAt: ClientInstant.optional(),
    updatedAt: ClientInstant.optional(),
    baseVersion: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    // The offline forum's own fields, kept as it sends them (bounded, opaque to the server).
    reactions: BoundedJson.optional(),
    comments: BoundedJson.optional(),
    logoUrl: z.string().max(500).optional(),
    identity: BoundedJson.optional(),
    meta: z
      .record(z.string(), z.unknown())
      .refine((o) => JSON.stringify(o).length <= MAX_POST_META_BYTES, {
        message: `must serialise to at most ${MAX_POST_META_BYTES} bytes`,
      })
      .optional(),
  })
  .refine((p) => (p.clientId ?? p.id) !== undefined, { message: "clientId (or id) is required", path: ["clientId"] })
  .refine((p) => p.clientId === undefined || p.id === undefined || p.clientId === p.id, {
    message: "clientId and id differ",
    path: ["id"],
  })
  .refine((p) => (p.content ?? p.body) !== undefined, { message: "content (or body) is required", path: ["content"] })
  .refine((p) => p.content === undefined || p.body === undefined || p.content === p.body, {
    message: "content and body differ",
    path: ["body"],
  });

/** A post after validation. */
export type ManifestPostInput = z.output<typeof ManifestPost>;

/**
 * The offline export `{source, version, posts}`. Posts are only checked to be an array here;
 * each is validated on its own by the handler.
 */
export const SubmitBody = z.strictObject({
  source: z.string().min(1).max(100),
  version: z.number().int().min(1).max(1_000_000),
  posts: z.array(z.unknown()).max(MAX_POSTS_PER_SUBMIT),
});

/** `GET /api/manifest/list` filters. */
export const ListQuery = z.strictObject({
  author: Uid.optional(),
  type: PostType.optional(),
  /** Only posts changed at or after this instant (ISO-8601 or epoch ms). */
  since: z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const n = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isSafeInteger(n) || !/^\d{1,16}$|^\d{4}-\d\d-\d\dT/.test(s)) {
        ctx.addIssue({ code: "custom", message: "must be an ISO-8601 instant or epoch milliseconds" });
        return z.NEVER;
      }
      return n;
    })
    .optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** Outcome of one post of a submission. */
export const PostOutcome = z.enum(["created", "updated", "unchanged", "conflict", "invalid"]);

/** A stored post as lists return it. */
export const PostOut = z.object({
  clientId: z.string(),
  authorUid: z.string(),
  source: z.string(),
  type: z.string(),
  visibility: z.enum(["public", "private"]),
  title: z.string().nullable(),
  content: z.string(),
  tags: z.array(z.string()),
  initials: z.string().nullable(),
  meta: z.record(z.string(), z.unknown()),
  /** The forum's fields, present when the post carried them. */
  reactions: z.unknown().optional(),
  comments: z.unknown().optional(),
  logoUrl: z.string().optional(),
  identity: z.unknown().optional(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The answer for one post of a submission, in the order of the export. */
export const SubmitResult = z.object({
  index: z.number().int(),
  clientId: z.string().nullable(),
  status: PostOutcome,
  /** The server's version after the request (absent for `invalid`). */
  version: z.number().int().optional(),
  /** `conflict`: the version the client based its change on, if it named one. */
  baseVersion: z.number().int().optional(),
  /** `invalid`: what is wrong, one line per issue. */
  errors: z.array(z.string()).optional(),
});
