/**
 * bench/lib/sections.ts: several benches share bench/RESULTS.md, each owning a marked section.
 * A bug here silently drops another bench's figures, so the merge rules are pinned down.
 */
import { describe, expect, it } from "vitest";
import { extractSection, keepSections, replaceSection } from "../../bench/lib/sections";

const rooms = "<!-- bench:rooms -->\nrooms v1\n<!-- /bench:rooms -->";

describe("bench RESULTS.md sections", () => {
  it("appends a missing section and replaces an existing one in place", () => {
    const once = replaceSection("# Results\n\nbooking table\n", "rooms", "rooms v1");
    expect(once).toBe(`# Results\n\nbooking table\n\n${rooms}\n`);
    const twice = replaceSection(`${once}\ntrailer\n`, "rooms", "rooms v2 $& $1");
    expect(twice).toBe(`# Results\n\nbooking table\n\n${rooms.replace("v1", () => "v2 $& $1")}\n\ntrailer\n`);
    expect(extractSection(twice, "settle")).toBeNull();
  });

  it("starts an empty file with the section alone", () => {
    expect(replaceSection("", "settle", "\n  x  \n")).toBe("<!-- bench:settle -->\nx\n<!-- /bench:settle -->\n");
  });

  it("keepSections carries over the other benches' sections, never duplicating one the fresh text has", () => {
    const settle = "<!-- bench:settle -->\nsettle\n<!-- /bench:settle -->";
    const previous = `old booking table\n\n${rooms}\n\n${settle}\n`;
    const fresh = "new booking table\n";
    expect(keepSections(fresh, previous)).toBe(`new booking table\n\n${rooms}\n\n${settle}\n`);
    const freshWithRooms = `new\n\n${rooms.replace("v1", "v9")}\n`;
    const merged = keepSections(freshWithRooms, previous);
    expect(merged.match(/<!-- bench:rooms -->/g)).toHaveLength(1);
    expect(merged).toContain("rooms v9");
    expect(merged).toContain(settle);
  });

  it("ignores an unterminated section", () => {
    expect(extractSection("<!-- bench:rooms -->\nno end", "rooms")).toBeNull();
    expect(keepSections("fresh\n", "<!-- bench:rooms -->\nno end")).toBe("fresh\n");
  });
});
