/**
 * Route declarations of telemetry.
 *
 * @module
 */
import * as z from "zod";
import { defineRoute } from "../http/route";
import { MAX_TELEMETRY_ITEMS, TELEMETRY_PER_MIN, TelemetryBody, ingestTelemetry } from "./ingest";

export const telemetry = defineRoute({
  id: "telemetry.ingest",
  method: "POST",
  path: "/api/telemetry",
  tag: "telemetry",
  summary: `Portal telemetry: one item or an array of up to ${MAX_TELEMETRY_ITEMS} ({type, path?, actorUid?, meta?}); anonymous allowed; ${TELEMETRY_PER_MIN} requests per minute and caller.`,
  auth: "optional",
  access: "write",
  // Counted in memory by the handler instead of a D1 counter row (see ./ingest.ts).
  rateLimited: false,
  idempotent: false,
  body: TelemetryBody,
  response: z.object({ ok: z.literal(true), stored: z.number().int() }),
  errors: {
    rate_limited: `429 more than ${TELEMETRY_PER_MIN} telemetry requests in a minute from this caller`,
    not_configured: "503",
  },
  handler: ingestTelemetry,
});

/** The telemetry routes, for the registry. */
export const telemetryRoutes = [telemetry] as const;
