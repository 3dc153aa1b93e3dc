/**
 * Route declarations of the presence API on D1 (the original routes): heartbeat and pair-code
 * match. The original's `GET /api/presence/debug` (it listed every session with its token) is
 * deliberately not served.
 *
 * @module
 */
import { defineRoute } from "../http/route";
import { heartbeat as heartbeatAction, match as matchAction } from "./actions";
import { HeartbeatBody, HeartbeatResponse, MatchBody, MatchResponse } from "./schemas";

const ERRORS = {
  thinker_mismatch: "403 thinker_id is not the caller's own thinker id",
};

export const heartbeat = defineRoute({
  id: "presence.heartbeat",
  method: "POST",
  path: "/api/presence/heartbeat",
  tag: "presence",
  summary: "Mark the caller's thinker as seen now (pair_code and status kept unless given); no event row.",
  auth: "required",
  access: "write",
  // Naturally retry-safe; storing a response per beat (every 25 s per tab) would only fill D1.
  idempotent: false,
  body: HeartbeatBody,
  response: HeartbeatResponse,
  errors: ERRORS,
  asserts: ({ body }) => body.thinker_id,
  handler: heartbeatAction,
});

export const match = defineRoute({
  id: "presence.match",
  method: "POST",
  path: "/api/presence/match",
  tag: "presence",
  summary: "The room shared by ≥ 2 online thinkers with this pair code seen within 60 s (null otherwise).",
  auth: "required",
  // A poll (the portal asks every 5 s per tab) that writes only when a room forms or grows: the
  // read budget (120/min), so a few open tabs of one person stay under the limit.
  access: "read",
  // Repeating a match returns the same room; its answer is computed inside the batch.
  idempotent: false,
  body: MatchBody,
  response: MatchResponse,
  errors: ERRORS,
  asserts: ({ body }) => body.thinker_id,
  handler: matchAction,
});
