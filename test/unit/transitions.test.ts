/**
 * The voucher status machine: every status × every action, against a matrix written out here
 * independently of VOUCHER_TRANSITIONS.
 */
import { describe, expect, it } from "vitest";
import { VOUCHER_STATUSES } from "../../src/db/schema";
import { AppError } from "../../src/core/errors";
import { VOUCHER_TRANSITIONS, type VoucherAction, assertTransition, canTransition } from "../../src/vouchers/model";

type Status = (typeof VOUCHER_STATUSES)[number];

/** allowed[action] = the statuses the action may start from; target = what the 409 names as `to`. */
const EXPECTED: Record<VoucherAction, { allowed: Status[]; target: string }> = {
  book: { allowed: ["issued"], target: "booked" },
  cancel: { allowed: ["booked"], target: "issued" },
  reschedule: { allowed: ["booked"], target: "booked" },
  redeem: { allowed: ["issued", "booked"], target: "consumed" },
  // Transfer keeps the status `issued` and changes the holder; the 409 names the action's outcome.
  transfer: { allowed: ["issued"], target: "transferred" },
};

const ACTIONS = Object.keys(EXPECTED) as VoucherAction[];

describe("voucher transitions", () => {
  it("covers exactly the five actions and the five statuses", () => {
    expect(Object.keys(VOUCHER_TRANSITIONS).sort()).toEqual([...ACTIONS].sort());
    expect([...VOUCHER_STATUSES].sort()).toEqual(["booked", "cancelled", "consumed", "expired", "issued"]);
  });

  for (const action of ACTIONS) {
    for (const status of VOUCHER_STATUSES) {
      const allowed = EXPECTED[action].allowed.includes(status);
      it(`${action} from ${status}: ${allowed ? "allowed" : "409 invalid_transition"}`, () => {
        expect(canTransition(action, status)).toBe(allowed);
        if (allowed) {
          expect(() => assertTransition(action, status)).not.toThrow();
          return;
        }
        let thrown: unknown;
        try {
          assertTransition(action, status);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(AppError);
        expect(thrown).toMatchObject({
          status: 409,
          code: "invalid_transition",
          details: { from: status, to: EXPECTED[action].target },
        });
      });
    }
  }

  it("terminal statuses allow nothing", () => {
    for (const status of ["consumed", "cancelled", "expired"] as const) {
      expect(ACTIONS.filter((a) => canTransition(a, status))).toEqual([]);
    }
  });

  it("every target that is a status is a known status", () => {
    for (const action of ACTIONS) {
      const to = VOUCHER_TRANSITIONS[action].to;
      if (action !== "transfer") expect(VOUCHER_STATUSES as readonly string[]).toContain(to);
    }
  });
});
