/**
 * Just enough of Source Map v3 to tell which source file a position of a bundle came from: the
 * runtime profiler reports positions in the bundle `wrangler pages dev` builds, and the profile is
 * only useful per source file (src/…, hono, zod, drizzle-orm). No names, no source lines.
 *
 * @module
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one segment's base64 VLQ fields. */
export function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const digit = DIGIT.get(c);
    if (digit === undefined) throw new Error(`bad VLQ digit ${c}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return out;
}

/** A source map reduced to: for each generated line, the columns where a source starts. */
export class SourceIndex {
  /** Per generated line (0-based): ascending [column, source index] pairs. */
  private readonly lines: Array<Array<[number, number]>> = [];

  constructor(
    readonly sources: readonly string[],
    mappings: string,
  ) {
    let source = 0;
    for (const line of mappings.split(";")) {
      const cols: Array<[number, number]> = [];
      let col = 0;
      for (const seg of line.split(",")) {
        if (!seg) continue;
        const f = decodeVlq(seg);
        col += f[0] ?? 0;
        if (f.length >= 4) {
          source += f[1] ?? 0;
          cols.push([col, source]);
        }
      }
      this.lines.push(cols);
    }
  }

  /** From a parsed `.map` file. */
  static fromJson(map: { sources: string[]; mappings: string; sourceRoot?: string }): SourceIndex {
    const root = map.sourceRoot ? map.sourceRoot.replace(/\/?$/, "/") : "";
    return new SourceIndex(
      map.sources.map((s) => root + s),
      map.mappings,
    );
  }

  /** The source of generated position (0-based line and column), or `null` if unmapped. */
  sourceAt(line: number, column: number): string | null {
    const cols = this.lines[line];
    if (!cols || cols.length === 0) return null;
    let lo = 0;
    let hi = cols.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = cols[mid];
      if (entry && entry[0] <= column) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const hit = cols[found === -1 ? 0 : found];
    return hit ? (this.sources[hit[1]] ?? null) : null;
  }
}
