/**
 * The API catalog the portal shows (`GET /api/presence/catalog/apis`). Each entry names a route
 * DECLARATION, not a hand-written URL: its path, method and auth come from the declaration, so an
 * entry cannot point at a route that does not exist or describe it differently from what is
 * served (`test/api/telemetry-catalog.test.ts` also checks each one is in the route registry).
 *
 * Of the original three entries, `doc-verify-example` (signed-link verification) and
 * `webhook-generic` (the manifest export submission) keep their ids; `ai-summary-example` is gone:
 * there is no summarisation route to point at.
 *
 * @module
 */
import type { AnyRoute, AuthPolicy } from "../http/route";
import { verify } from "../presence/login";
import { templates as voucherTemplates } from "../vouchers/routes";

/** One catalog item, in the original's field names. */
export interface CatalogItem {
  id: string;
  name: string;
  category: string;
  /** Absolute URL of the route on the serving host. */
  base_url: string;
  method: string;
  auth_type: string;
  doc_url: string;
  example_payload: unknown;
}

/** A catalog entry: the route it describes plus what the portal shows about it. */
export interface CatalogEntry {
  id: string;
  name: string;
  category: string;
  route: AnyRoute;
  example: unknown;
}

/** How a route authenticates, in the catalog's words. */
export function authType(auth: AuthPolicy): string {
  switch (auth) {
    case "none":
      return "none";
    case "optional":
      return "session-optional";
    case "admin":
      return "admin-bearer";
    default:
      return "session";
  }
}

/** Builds the catalog items for a request served from `origin`. */
export function catalogItems(entries: readonly CatalogEntry[], origin: string): CatalogItem[] {
  return entries.map((e) => ({
    id: e.id,
    name: e.name,
    category: e.category,
    base_url: `${origin}${e.route.path}`,
    method: e.route.method,
    auth_type: authType(e.route.auth),
    doc_url: `${origin}/api/docs#${e.route.id}`,
    example_payload: e.example,
  }));
}

/** Entries for routes declared outside this folder (the manifest and telemetry routes add theirs in `routes.ts`). */
export const BASE_ENTRIES: readonly CatalogEntry[] = [
  {
    id: "doc-verify-example",
    name: "Verify a signed manifest link",
    category: "identity",
    route: verify,
    example: { mot: "mot-shared-token-v1", uid: "<uid>", ts: 1_700_000_000_000, sig: "<hex HMAC-SHA256>" },
  },
  {
    id: "voucher-templates",
    name: "Voucher templates",
    category: "vouchers",
    route: voucherTemplates,
    example: null,
  },
];
