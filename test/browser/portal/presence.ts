/**
 * Presence and rooms: two people type the same pair code on the presence page, are matched into
 * one room and chat in it both ways; one of them opens the same room on the rooms page.
 *
 * @module
 */
import { type Person, type Suite, WAIT_MS, check, openArea, step } from "./harness";

async function sendChat(p: Person, text: string): Promise<void> {
  await p.page.locator("#chatText").fill(text);
  await p.page.locator("#chatSend").click();
}

async function seesChat(p: Person, text: string): Promise<void> {
  await p.page.locator("#chat li", { hasText: text }).first().waitFor({ timeout: WAIT_MS });
}

/** Pair-code matching, then a live room with presence and chat. */
export async function presenceScenario(s: Suite): Promise<void> {
  const [a, b] = [await s.person("Alma"), await s.person("Bodo")];
  const code = `pair-${s.run}`;
  for (const p of [a, b]) {
    await openArea(p, "/presence.html");
    await p.page.locator("#heartbeatState", { hasText: "online" }).waitFor({ timeout: WAIT_MS });
    await p.page.locator("#pairCode").fill(code);
    await p.page.locator("#matchStart").click();
  }
  const roomOf = async (p: Person) => {
    await p.page.locator("#matchState[data-room-id]").waitFor({ timeout: WAIT_MS });
    return (await p.page.locator("#matchState").getAttribute("data-room-id")) ?? "";
  };
  const [roomA, roomB] = [await roomOf(a), await roomOf(b)];
  check(roomA !== "" && roomA === roomB, `presence: matched into different rooms (${roomA} / ${roomB})`);
  step(`presence: both matched into ${roomA}`);
  for (const [p, other] of [
    [a, b],
    [b, a],
  ] as const) {
    await p.page.locator("#connState.open").waitFor({ timeout: WAIT_MS });
    await p.page.locator("#members li", { hasText: other.uid }).waitFor({ timeout: WAIT_MS });
  }
  await sendChat(a, `Hallo von Alma ${s.run}`);
  await seesChat(b, `Hallo von Alma ${s.run}`);
  await sendChat(b, `Hallo zurück ${s.run}`);
  await seesChat(a, `Hallo zurück ${s.run}`);
  step("presence: each sees the other in the room; chat both ways");
  await s.shot(a, "presence");

  // The same room on the rooms page: the history of the chat is there.
  await openArea(b, `/rooms.html#room=${encodeURIComponent(roomA)}`);
  await b.page.locator("#connState.open").waitFor({ timeout: WAIT_MS });
  await seesChat(b, `Hallo von Alma ${s.run}`);
  await sendChat(b, `aus dem Räume-Bereich ${s.run}`);
  await seesChat(a, `aus dem Räume-Bereich ${s.run}`);
  step("rooms: the matched room opened on the rooms page shows its history; chat reaches the presence page");
  await s.shot(b, "rooms");
}
