/**
 * Structured logs: one JSON object per line, always with the request id when there is one.
 *
 * @module
 */

type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let threshold = RANK.info;

/** Sets the lowest level written (from `LOG_LEVEL`); unknown values keep `info`. */
export function setLogLevel(level: string | undefined): void {
  threshold = level && level in RANK ? RANK[level as Level] : RANK.info;
}

/** Writes one JSON log line. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold) return;
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
