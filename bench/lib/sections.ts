/**
 * Marked sections of bench/RESULTS.md, so several benches share the file: `npm run bench:rooms`
 * owns the text between `<!-- bench:rooms -->` and `<!-- /bench:rooms -->`, and `npm run bench`,
 * which regenerates the rest, carries every marked section over unchanged.
 *
 * Pure string functions (unit-tested in workerd); results-file.ts applies them to the file.
 */

const START = /<!-- bench:([a-z0-9-]+) -->/g;

const markers = (name: string) => [`<!-- bench:${name} -->`, `<!-- /bench:${name} -->`] as const;

/** Section `name` of `text` including its markers, or null. */
export function extractSection(text: string, name: string): string | null {
  const [open, close] = markers(name);
  const a = text.indexOf(open);
  const b = a < 0 ? -1 : text.indexOf(close, a);
  return a < 0 || b < 0 ? null : text.slice(a, b + close.length);
}

/** `text` with section `name` replaced by `body` (between fresh markers), or appended if absent. */
export function replaceSection(text: string, name: string, body: string): string {
  const [open, close] = markers(name);
  const block = `${open}\n${body.trim()}\n${close}`;
  const old = extractSection(text, name);
  if (old !== null) return text.replace(old, () => block);
  return `${text.trimEnd()}${text.trim() ? "\n\n" : ""}${block}\n`;
}

/** `fresh` plus every marked section of `previous` that `fresh` does not have (appended, in order). */
export function keepSections(fresh: string, previous: string): string {
  let out = fresh;
  for (const m of previous.matchAll(START)) {
    const name = m[1] ?? "";
    const section = extractSection(previous, name);
    if (section !== null && extractSection(out, name) === null) out = `${out.trimEnd()}\n\n${section}\n`;
  }
  return out;
}
