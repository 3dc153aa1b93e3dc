/**
 * Number formatting, knobs and the machine line shared by the bench reports.
 *
 * @module
 */
import type { Machine } from "./proc";

/** A number with 0, 1 or 2 decimals; "–" for a value that could not be measured. */
export const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
export const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
export const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

/** A positive number from the environment variable `name`, else `dflt`. */
export function envNumber(name: string, dflt: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

/** The machine as one line: cores × CPU, memory, OS. */
export const machineLine = (m: Machine) => `${m.cores} × ${m.cpus}, ${m.memGiB} GiB RAM, ${m.os}`;

/** A ratio against the baseline of the same run, its target as text, and whether it is met. */
export interface RatioRow {
  name: string;
  value: number;
  target: string;
  /** `null`: reported for comparison, no target. */
  pass: boolean | null;
}

/** Ratios as a Markdown table. */
export function ratioMarkdown(rows: readonly RatioRow[], title = "Ratio"): string {
  return [
    `| ${title} | Value | Target | Result |`,
    "|---|---:|---:|---|",
    ...rows.map(
      (x) => `| ${x.name} | ${f2(x.value)} | ${x.target} | ${x.pass === null ? "(no target)" : x.pass ? "PASS" : "FAIL"} |`,
    ),
  ].join("\n");
}
