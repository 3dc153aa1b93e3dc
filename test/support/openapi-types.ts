/**
 * TypeScript types of the API, generated from the OpenAPI document with openapi-typescript (Node
 * only). The generated file is committed (`API_TYPES_FILE`) so clients type-check against it; the
 * contract tests fail when it differs from a fresh generation (`npm run openapi:types` rewrites it).
 */
import openapiTS, { COMMENT_HEADER, type OpenAPI3, astToString } from "openapi-typescript";
import { apiDocument } from "../../src/docs/openapi";

/** Where the generated types live, relative to the repository root. */
export const API_TYPES_FILE = "public/api-types.d.ts";

/** The generated types of the current document. */
export async function apiTypesSource(): Promise<string> {
  // openapi-typescript may annotate what it reads: hand it a copy.
  const doc = structuredClone(apiDocument()) as unknown as OpenAPI3;
  const generated = astToString(await openapiTS(doc));
  return `${COMMENT_HEADER}// Generated from the route declarations (src/docs/openapi.ts): npm run openapi:types\n\n${generated}`;
}
