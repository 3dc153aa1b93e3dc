/**
 * Route declarations of manifest sync and of the API catalog the portal shows.
 *
 * @module
 */
import * as z from "zod";
import { defineRoute } from "../http/route";
import { telemetry } from "../telemetry/routes";
import { BASE_ENTRIES, type CatalogEntry, catalogItems } from "./catalog";
import { listManifest } from "./list";
import { ListQuery, MAX_POSTS_PER_SUBMIT, PostOut, SubmitBody, SubmitResult } from "./schemas";
import { submitManifest } from "./submit";

const ok = z.literal(true);

export const submit = defineRoute({
  id: "manifest.submit",
  method: "POST",
  path: "/api/manifest/submit",
  tag: "manifest",
  summary: `Upsert the posts of an offline export ({source, version, posts}, at most ${MAX_POSTS_PER_SUBMIT}) under the caller; answers per post: created, updated, unchanged, conflict or invalid.`,
  auth: "required",
  access: "write",
  // The upsert is idempotent by content hash: a repeat changes nothing and answers `unchanged`.
  // The answer depends on the batch's own results, so it cannot be stored before the batch runs.
  idempotent: false,
  body: SubmitBody,
  response: z.object({ ok, results: z.array(SubmitResult) }),
  handler: submitManifest,
});

export const list = defineRoute({
  id: "manifest.list",
  method: "GET",
  path: "/api/manifest/list",
  tag: "manifest",
  summary:
    "Posts, most recently changed first: public ones for everyone, private ones only for their author; filters author, type, since; cursor-paginated.",
  auth: "optional",
  access: "read",
  query: ListQuery,
  response: z.object({ ok, posts: z.array(PostOut), nextCursor: z.string().nullable() }),
  handler: listManifest,
});

/** Every catalog entry, in the order the portal shows them. */
export const CATALOG: readonly CatalogEntry[] = [
  ...BASE_ENTRIES,
  {
    id: "webhook-generic",
    name: "Submit an offline manifest export",
    category: "manifest",
    route: submit,
    example: { source: "manifest-of-thinkers-offline", version: 1, posts: [] },
  },
  { id: "manifest-list", name: "Published manifest posts", category: "manifest", route: list, example: null },
  {
    id: "portal-telemetry",
    name: "Portal telemetry",
    category: "telemetry",
    route: telemetry,
    example: [{ type: "page.view", path: "/" }],
  },
];

export const catalog = defineRoute({
  id: "presence.catalog",
  method: "GET",
  path: "/api/presence/catalog/apis",
  tag: "manifest",
  summary: "The API catalog the portal shows, built from the route declarations it lists.",
  auth: "none",
  access: "read",
  cacheControl: "public, max-age=300",
  response: z.object({
    items: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        category: z.string(),
        base_url: z.string(),
        method: z.string(),
        auth_type: z.string(),
        doc_url: z.string(),
        example_payload: z.unknown(),
      }),
    ),
  }),
  async handler({ url }) {
    return { body: { items: catalogItems(CATALOG, url.origin) } };
  },
});

/** The manifest and catalog routes, for the registry. */
export const manifestRoutes = [submit, list, catalog] as const;
