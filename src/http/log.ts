/**
 * Structured logs: one JSON object per line, always with the request id when there is one.
 *
 * @module
 */

type Level = "debug" | "info" | "warn" | "error";

/** Writes one JSON log line. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, at: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A logger bound to one request. */
export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void;

/** Logger that adds `requestId` to every line. */
export const requestLogger =
  (requestId: string): Logger =>
  (level, msg, fields) =>
    log(level, msg, { requestId, ...fields });
