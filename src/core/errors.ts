/**
 * The one error family of the API. Domain code throws these; `toErrorResponse` is the only place
 * that turns an error into an HTTP status and body.
 *
 * @module
 */

/** Details a client may act on (field issues, `from`/`to` of a refused transition…). */
export type ErrorDetails = Record<string, unknown> | unknown[];

/** An expected failure with a machine `code`, a human message and an HTTP status. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** 400: the request is malformed or fails validation. */
export const badRequest = (code: string, message: string, details?: ErrorDetails) => new AppError(400, code, message, details);
/** 401: no valid identity. */
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
/** 403: identity known, but not allowed to act on this object. */
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
/** 404: the object does not exist (or is not visible to the caller). */
export const notFound = (code: string, message: string) => new AppError(404, code, message);
/** 409: the request conflicts with the current state. */
export const conflict = (code: string, message: string, details?: ErrorDetails) => new AppError(409, code, message, details);

/** 409 `invalid_transition`: the object's status does not allow this action. */
export const invalidTransition = (entity: string, from: string, to: string) =>
  conflict("invalid_transition", `${entity} cannot go from ${from} to ${to}`, { from, to });

/** JSON body of every error response. */
export interface ErrorBody {
  ok: false;
  error: string;
  code: string;
  details?: ErrorDetails;
  requestId?: string;
}

/**
 * Maps any thrown value to the wire. Unknown errors become a generic 500 without internals; the
 * caller logs them with their cause.
 */
export function toErrorResponse(err: unknown, requestId?: string): Response {
  const e = err instanceof AppError ? err : new AppError(500, "internal_error", "internal error");
  const body: ErrorBody = { ok: false, error: e.message, code: e.code };
  if (e.details !== undefined) body.details = e.details;
  if (requestId) body.requestId = requestId;
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", ...e.headers });
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(body), { status: e.status, headers });
}
