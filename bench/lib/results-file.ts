/** bench/RESULTS.md on disk, shared by the benches through the marked sections of sections.ts. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { keepSections, replaceSection } from "./sections";

/** The results file every bench writes to. */
export const RESULTS_FILE = "bench/RESULTS.md";

const readText = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

/** Replaces (or appends) section `name` of the results file with `body`; the rest stays as it is. */
export function writeSection(name: string, body: string, file = RESULTS_FILE): void {
  writeFileSync(file, replaceSection(readText(file), name, body));
}

/** Writes `fresh` as the results file, carrying over every marked section of the old file it lacks. */
export function writeKeepingSections(fresh: string, file = RESULTS_FILE): void {
  writeFileSync(file, keepSections(fresh, readText(file)));
}
