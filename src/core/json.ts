/**
 * Reading the JSON object columns (`meta`, `terms`…) back for the API.
 *
 * @module
 */

/**
 * A stored JSON object column as an object; `{}` for anything else. The API writes these columns
 * from validated objects, so only a hand-edited row can hold something else, and such a row is
 * shown without it rather than failing the whole answer.
 */
export function jsonObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
