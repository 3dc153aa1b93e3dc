/**
 * Session revocation, checked inside the D1 round trip a request makes anyway. A session token
 * names its thinker row and the row's session generation when it was signed; the session is live
 * while a row with that id, that generation and no erasure mark exists. Logout moves the
 * generation on (every device's token stops matching); erasure renames the row (nothing matches).
 *
 * @module
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { errorText, type Db, type Statement } from "../db/client";
import { precompiled } from "../db/precompiled";
import { sessionGuards, thinkers } from "../db/schema";
import type { Session } from "../identity/session";
import { unauthorized } from "../core/errors";
import type { BatchCheck } from "./unit-of-work";

/** 401 `session_revoked`: the token is genuine, but its session was ended (logout, erasure). */
export const sessionRevoked = () =>
  unauthorized("session_revoked", "this session was ended (logged out or erased); verify a new link");

/**
 * Aborts the batch unless the session is live: inserting NULL into session_guards.guard (NOT NULL)
 * fails before any write lands. It rides in every write batch, so it is rendered once per isolate.
 */
const sessionGuard = precompiled<{ thinkerId: string; gen: number }>((db, p) => {
  const live = db
    .select({ one: sql`1` })
    .from(thinkers)
    .where(and(eq(thinkers.id, sql`${p("thinkerId")}`), eq(thinkers.sessionGen, sql`${p("gen")}`), isNull(thinkers.deletedAt)));
  return db.insert(sessionGuards).select(sql`SELECT NULL WHERE NOT EXISTS ${live}`);
});

/** The revocation check of one session, as a {@link BatchCheck}. */
export class SessionCheck implements BatchCheck {
  done = false;

  constructor(
    private readonly db: Db,
    private readonly session: Pick<Session, "thinkerId" | "gen">,
  ) {}

  private live() {
    return and(eq(thinkers.id, this.session.thinkerId), eq(thinkers.sessionGen, this.session.gen), isNull(thinkers.deletedAt));
  }

  readStatements(): Statement[] {
    return [this.db.select({ live: sql<number>`1` }).from(thinkers).where(this.live())];
  }

  checkRead(rows: unknown[]): void {
    this.done = true;
    const found = rows[0] as unknown[] | undefined;
    if (!found || found.length === 0) throw sessionRevoked();
  }

  writeStatements(): Statement[] {
    return [sessionGuard(this.db, { thinkerId: this.session.thinkerId, gen: this.session.gen })];
  }

  async explainAbort(err: unknown): Promise<void> {
    if (/NOT NULL constraint failed: session_guards\.guard/.test(errorText(err))) {
      this.done = true;
      throw sessionRevoked();
    }
  }

  settle(): void {
    this.done = true;
  }
}
