/**
 * Telbank transfers over the whole pipeline: the original body and shape with exact amounts, the
 * decimal edge cases, wallet address and IBAN rules, the caller's own transfers only with cursor
 * pages, the status transitions by owner and admin, the `transfer.logged` fee charged exactly once
 * and settled, the admin statistics' exact volumes, and erasure of a transfer's owner.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/monitoring/time";
import { type Who, count, newRequestId, post, row, rows } from "../support/voucher-kit";
import { compatEnv, json, login, testEnv } from "../support/client";
import { admin, settle, settlementOf } from "../support/settlement-kit";

const PATH = "/api/telbank/transfers";
const ETH_ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const IBAN = "DE89370400440532013000";

const base = (extra: Record<string, unknown> = {}) => ({
  direction: "in",
  walletAddress: ETH_ADDR,
  network: "Ethereum Mainnet",
  cryptoAmount: "1.5",
  cryptoSymbol: "ETH",
  fiatAmount: 250_000,
  fiatCurrency: "EUR",
  externalAccount: IBAN,
  meta: { note: "test" },
  ...extra,
});

const get = (path: string, who: Who | null) => json(path, who ? { session: who.session } : {});

let A: Who;
let B: Who;

beforeAll(async () => {
  A = await login();
  B = await login();
});

describe("POST /api/telbank/transfers", () => {
  it("logs a transfer exactly: base units + decimals stored, the original shape answered, one event, no fee while the rule is inactive", async () => {
    const requestId = newRequestId();
    const res = await post(PATH, A, base({ cryptoAmount: "123456789.123456789123456789" }), { requestId });
    expect(res.status).toBe(200);
    const t = res.body.transfer;
    expect(t).toMatchObject({
      direction: "in",
      label: "Fiat→Crypto inflow",
      walletAddress: ETH_ADDR,
      network: "Ethereum Mainnet",
      cryptoAmount: "123456789.123456789123456789",
      cryptoUnits: "123456789123456789123456789",
      cryptoDecimals: 18,
      cryptoSymbol: "ETH",
      fiatAmount: 250_000,
      fiatCurrency: "EUR",
      externalAccount: IBAN,
      meta: { note: "test" },
      status: "logged",
      statusChangedAt: null,
      ownerUid: A.uid,
    });
    expect(t.id).toMatch(/^in-/);
    const stored = await row("SELECT * FROM transfers WHERE id = ?", t.id);
    expect(stored).toMatchObject({ crypto_amount: "123456789123456789123456789", crypto_decimals: 18, actor_uid: A.uid });
    const events = await rows(
      "SELECT type, actor_uid, subject_type, subject_id, meta FROM events WHERE request_id = ?",
      requestId,
    );
    expect(events).toEqual([
      {
        type: "transfer.logged",
        actor_uid: A.uid,
        subject_type: "transfer",
        subject_id: t.id,
        meta: JSON.stringify({ direction: "in", network: "Ethereum Mainnet", cryptoSymbol: "ETH", fiatCurrency: "EUR" }),
      },
    ]);
    expect(await count("fee_events", "subject_id = ?", t.id)).toBe(0);
  });

  it("takes the original client's minimal body (no wallet, no account; empty or null optional fields) and an out-flow label", async () => {
    const res = await post(PATH, A, {
      direction: "out",
      cryptoAmount: 0.25,
      cryptoSymbol: "btc",
      fiatAmount: 1000,
      fiatCurrency: "USD",
      walletAddress: "",
      network: null,
      label: null,
      meta: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.transfer).toMatchObject({
      id: expect.stringMatching(/^out-/),
      label: "Crypto→Fiat outflow",
      walletAddress: null,
      network: null,
      externalAccount: null,
      cryptoAmount: "0.25",
      cryptoUnits: "25000000",
      cryptoDecimals: 8,
      cryptoSymbol: "BTC",
      meta: {},
    });
  });

  describe("decimal edge cases", () => {
    const amountOf = async (cryptoAmount: unknown, cryptoSymbol = "ETH") => {
      const res = await post(PATH, A, base({ cryptoAmount, cryptoSymbol, walletAddress: null }));
      return res.status === 200 ? res.body.transfer.cryptoUnits : `${res.status} ${res.body.code} ${res.body.error}`;
    };

    it("accepts exactly 18 decimals for ETH and 8 for BTC", async () => {
      expect(await amountOf("0.000000000000000001")).toBe("1");
      expect(await amountOf("0.12345678", "BTC")).toBe("12345678");
      expect(await amountOf("999999999999999999.999999999999999999")).toBe("9".repeat(36));
    });

    it("refuses (never rounds) more decimals than the asset allows, and writes nothing", async () => {
      const before = await count("transfers");
      expect(await amountOf("0.0000000000000000001")).toMatch(
        /^400 validation_failed body\.cryptoAmount: ETH amount has 19 decimals/,
      );
      expect(await amountOf("0.123456789", "BTC")).toMatch(/^400 validation_failed .*at most 8/);
      expect(await amountOf("1.0000001", "USDT")).toMatch(/^400 validation_failed .*at most 6/);
      expect(await count("transfers")).toBe(before);
    });

    it("refuses leading zeros, exponent notation, signs, spaces and other text", async () => {
      for (const bad of ["01.5", "00", "1e18", "1E-3", "1.5e2", "-1", "+1", " 1", ".5", "1.", "", "0x1", "1,5"]) {
        expect(await amountOf(bad), bad).toMatch(/^400 validation_failed body\.cryptoAmount/);
      }
      expect(await amountOf("1".repeat(81))).toMatch(/^400 validation_failed body\.cryptoAmount/);
      expect(await amountOf("1000000000000000000")).toMatch(/^400 validation_failed .*too large/);
    });

    it("accepts a JSON number only when it converts exactly", async () => {
      expect(await amountOf(1.5)).toBe("1500000000000000000");
      expect(await amountOf(0.1)).toBe("100000000000000000");
      for (const bad of [1e21, 1e-7, 0.1 + 0.2, 2 ** 53 + 2, -1]) {
        expect(await amountOf(bad), String(bad)).toMatch(/^400 validation_failed .*JSON number is accepted only if it is exact/);
      }
      expect(await amountOf(true)).toMatch(/^400 validation_failed/);
      // On the wire: 17 significant digits that a double cannot hold are refused, not rounded.
      const raw = JSON.stringify(base({ walletAddress: null })).replace(
        '"cryptoAmount":"1.5"',
        '"cryptoAmount":12345678901234567',
      );
      expect(raw).toContain("12345678901234567");
      const res = await json(PATH, { raw, session: A.session, headers: { "content-type": "application/json" } });
      expect(res.body.code).toBe("validation_failed");
    });
  });

  describe("addresses and accounts", () => {
    const logged = async (extra: Record<string, unknown>) => {
      const res = await post(PATH, A, base(extra));
      return res.status === 200 ? res.body.transfer : { status: res.status, code: res.body.code, error: res.body.error };
    };

    it("stores an EVM address checksummed and refuses a wrong checksum (Ethereum and Polygon)", async () => {
      expect((await logged({ walletAddress: ETH_ADDR.toLowerCase(), network: "polygon" })).walletAddress).toBe(ETH_ADDR);
      const wrong = `${ETH_ADDR.slice(0, 3)}A${ETH_ADDR.slice(4)}`;
      expect(await logged({ walletAddress: wrong })).toMatchObject({
        status: 400,
        error: expect.stringMatching(/^body\.walletAddress: .*EIP-55/),
      });
      expect(await logged({ walletAddress: "0x1234", network: "Polygon" })).toMatchObject({
        status: 400,
        code: "validation_failed",
      });
    });

    it("checks Bitcoin addresses by base58check / bech32 and takes unknown networks' addresses as opaque text", async () => {
      const btc = { cryptoSymbol: "BTC", cryptoAmount: "0.1", network: "bitcoin" };
      expect((await logged({ ...btc, walletAddress: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" })).walletAddress).toBe(
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
      );
      expect((await logged({ ...btc, walletAddress: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" })).status).toBe("logged");
      expect(await logged({ ...btc, walletAddress: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb" })).toMatchObject({ status: 400 });
      expect(await logged({ ...btc, walletAddress: ETH_ADDR })).toMatchObject({ status: 400 });
      expect((await logged({ network: "Solana", cryptoSymbol: "SOL", walletAddress: "anything-goes:here" })).walletAddress).toBe(
        "anything-goes:here",
      );
      expect(await logged({ walletAddress: "has space" })).toMatchObject({ status: 400 });
    });

    it("checks an IBAN by mod-97 (stored compact) and leaves other accounts as given", async () => {
      expect((await logged({ externalAccount: "de89 3704 0044 0532 0130 00" })).externalAccount).toBe(IBAN);
      expect(await logged({ externalAccount: "DE89370400440532013001" })).toMatchObject({
        status: 400,
        error: expect.stringMatching(/^body\.externalAccount: .*mod-97/),
      });
      expect((await logged({ externalAccount: "skrill a@example.org" })).externalAccount).toBe("skrill a@example.org");
    });
  });

  it("refuses an anonymous caller, unknown fields and a non-integer fiat amount", async () => {
    expect((await post(PATH, null, base())).status).toBe(401);
    expect((await post(PATH, A, base({ extra: 1 }))).body.code).toBe("validation_failed");
    expect((await post(PATH, A, base({ fiatAmount: 10.5 }))).body.code).toBe("validation_failed");
    expect((await post(PATH, A, base({ direction: "sideways" }))).body.code).toBe("validation_failed");
    expect((await post(PATH, A, base({ fiatCurrency: "EURO" }))).body.code).toBe("validation_failed");
  });
});

describe("GET /api/telbank/transfers and /:id", () => {
  let C: Who;
  const ids: string[] = [];
  beforeAll(async () => {
    C = await login();
    for (const [i, direction] of ["in", "out", "in", "in", "out"].entries()) {
      const res = await post(PATH, C, base({ direction, walletAddress: i < 3 ? ETH_ADDR : null, cryptoAmount: `${i + 1}` }));
      ids.push(res.body.transfer.id);
    }
  });

  it("lists only the caller's transfers, newest first, over cursor pages without gaps or repeats, IBAN masked", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`${PATH}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, C);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const t of page.body.items) {
        expect(t.ownerUid).toBe(C.uid);
        expect(t.externalAccount).toBe("DE89**************3000");
        seen.push(t.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await get(PATH, B)).body.items.map((t: { id: string }) => t.id)).not.toContain(ids[0]);
  });

  it("filters by wallet address (any spelling of an EVM address) and direction", async () => {
    const byWallet = await get(`${PATH}?walletAddress=${ETH_ADDR.toLowerCase()}`, C);
    expect(byWallet.body.items.map((t: { id: string }) => t.id)).toEqual(ids.slice(0, 3).reverse());
    const outs = await get(`${PATH}?direction=out`, C);
    expect(outs.body.items.map((t: { id: string }) => t.id)).toEqual([ids[4], ids[1]]);
    const both = await get(`${PATH}?direction=in&walletAddress=${ETH_ADDR}`, C);
    expect(both.body.items.map((t: { id: string }) => t.id)).toEqual([ids[2], ids[0]]);
    expect((await get(`${PATH}?direction=sideways`, C)).status).toBe(400);
    expect((await get(`${PATH}?cursor=nope`, C)).body.code).toBe("invalid_cursor");
  });

  it("shows one transfer unmasked to its owner and 404 to anyone else", async () => {
    const own = await get(`${PATH}/${ids[0]}`, C);
    expect(own.status).toBe(200);
    expect(own.body.transfer).toMatchObject({ id: ids[0], externalAccount: IBAN });
    expect((await get(`${PATH}/${ids[0]}`, B)).body.code).toBe("transfer_not_found");
    expect((await get(`${PATH}/in-nope`, C)).status).toBe(404);
    expect((await get(`${PATH}/${ids[0]}`, null)).status).toBe(401);
  });
});

describe("status: logged → settled | failed", () => {
  const logOne = async (who: Who) => (await post(PATH, who, base())).body.transfer.id as string;

  it("the owner settles once; every other transition is 409 invalid_transition", async () => {
    const id = await logOne(A);
    const requestId = newRequestId();
    const res = await post(`${PATH}/${id}/status`, A, { status: "settled" }, { requestId });
    expect(res.status).toBe(200);
    expect(res.body.transfer).toMatchObject({ id, status: "settled", statusReason: null });
    expect(res.body.transfer.statusChangedAt).toEqual(expect.any(String));
    expect(await rows("SELECT type, actor_uid FROM events WHERE request_id = ?", requestId)).toEqual([
      { type: "transfer.settled", actor_uid: A.uid },
    ]);
    for (const status of ["failed", "settled", "logged"]) {
      const again = await post(`${PATH}/${id}/status`, A, { status });
      expect(again.status, status).toBe(409);
      expect(again.body).toMatchObject({ code: "invalid_transition", details: { from: "settled", to: status } });
    }
    expect((await row("SELECT status FROM transfers WHERE id = ?", id))?.status).toBe("settled");
  });

  it("the owner marks a transfer failed with a reason; another user gets 404 and changes nothing", async () => {
    const id = await logOne(A);
    const other = await post(`${PATH}/${id}/status`, B, { status: "failed" });
    expect(other.body.code).toBe("transfer_not_found");
    expect((await row("SELECT status FROM transfers WHERE id = ?", id))?.status).toBe("logged");
    const res = await post(`${PATH}/${id}/status`, A, { status: "failed", reason: "bank returned it" });
    expect(res.body.transfer).toMatchObject({ status: "failed", statusReason: "bank returned it" });
    expect((await post(`${PATH}/${id}/status`, A, { status: "settled" })).body.details).toEqual({
      from: "failed",
      to: "settled",
    });
  });

  it("the admin changes any transfer's status on the admin route; the owner route refuses the admin token", async () => {
    const id = await logOne(B);
    const res = await admin(`/api/admin/telbank/transfers/${id}/status`, { body: { status: "settled" } });
    expect(res.status).toBe(200);
    expect(res.body.transfer).toMatchObject({ status: "settled", ownerUid: B.uid });
    expect((await admin(`/api/admin/telbank/transfers/${id}/status`, { body: { status: "failed" } })).status).toBe(409);
    expect((await admin("/api/admin/telbank/transfers/out-000000000-x/status", { body: { status: "failed" } })).status).toBe(404);
    const ev = await row("SELECT actor_uid, meta FROM events WHERE subject_id = ? AND type = 'transfer.settled'", id);
    expect(JSON.parse(ev?.meta)).toMatchObject({ by: "admin", from: "logged", to: "settled" });
    expect(
      (
        await json(`${PATH}/${id}/status`, {
          body: { status: "failed" },
          headers: { authorization: `Bearer ${testEnv.ADMIN_TOKEN}` },
        })
      ).status,
    ).toBe(401);
  });
});

describe("races, retries and compat mode", () => {
  it("two concurrent status changes: exactly one wins, the other gets a 409 and one event is written", async () => {
    const id = (await post(PATH, A, base())).body.transfer.id;
    const [x, y] = await Promise.all([
      post(`${PATH}/${id}/status`, A, { status: "settled" }),
      post(`${PATH}/${id}/status`, A, { status: "failed" }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const loser = x.status === 409 ? x : y;
    expect(["invalid_transition", "concurrent_update"]).toContain(loser.body.code);
    expect(await count("events", "subject_id = ? AND type IN ('transfer.settled', 'transfer.failed')", id)).toBe(1);
  });

  it("a status change retried with the same Idempotency-Key answers the same and writes once", async () => {
    const id = (await post(PATH, A, base())).body.transfer.id;
    const headers = { "idempotency-key": `st-${id}` };
    const first = await post(`${PATH}/${id}/status`, A, { status: "failed", reason: "r" }, { headers });
    const again = await post(`${PATH}/${id}/status`, A, { status: "failed", reason: "r" }, { headers });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await count("events", "subject_id = ? AND type = 'transfer.failed'", id)).toBe(1);
  });

  it("in AUTH_MODE=compat an unsigned client names itself with X-MOT-User and owns the transfer", async () => {
    const uid = `compat${Date.now().toString(36)}`;
    const res = await json(PATH, { body: base(), headers: { "x-mot-user": uid } }, compatEnv);
    expect(res.status).toBe(200);
    expect(res.body.transfer.ownerUid).toBe(uid);
    const list = await json(PATH, { headers: { "x-mot-user": uid } }, compatEnv);
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([res.body.transfer.id]);
    // Without compat mode the same request is refused.
    expect((await json(PATH, { body: base(), headers: { "x-mot-user": uid } })).status).toBe(401);
  });
});

describe("the transfer.logged fee", () => {
  it("when active, charges the owner a rate plus fixed part of the fiat value exactly once, and a settlement picks it up", async () => {
    const on = await admin("/api/admin/fees/transfer.logged", {
      method: "PUT",
      body: { active: true, ratePpm: 10_000, fixedAmount: 25 },
    });
    expect(on.status).toBe(200);
    try {
      const P = await login();
      const key = { "idempotency-key": `k-${P.uid}` };
      const first = await post(PATH, P, base({ fiatAmount: 12_345 }), { headers: key });
      const replay = await post(PATH, P, base({ fiatAmount: 12_345 }), { headers: key });
      expect(replay.body).toEqual(first.body);
      const id = first.body.transfer.id;
      const fees = await rows("SELECT * FROM fee_events WHERE subject_type = 'transfer' AND subject_id = ?", id);
      // 1 % of 123.45 EUR = 123.45 cents → 123 (half_up), plus 25 cents.
      expect(fees).toMatchObject([
        { fee_id: "transfer.logged", kind: "charge", amount: 148, currency: "EUR", base_amount: 12_345, payer_uid: P.uid },
      ]);
      expect(await count("transfers", "actor_uid = ?", P.uid)).toBe(1);
      // A currency rule that does not match charges nothing.
      await admin("/api/admin/fees/transfer.logged", { method: "PUT", body: { currency: "USD" } });
      const eur = await post(PATH, P, base({ fiatAmount: 5_000 }));
      expect(await count("fee_events", "subject_id = ?", eur.body.transfer.id)).toBe(0);

      const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      await settle(today, today + DAY_MS);
      const settlement = await settlementOf(fees[0]?.id);
      expect(settlement).not.toBeNull();
      expect(await row("SELECT payer_uid, currency FROM settlements WHERE id = ?", settlement)).toEqual({
        payer_uid: P.uid,
        currency: "EUR",
      });
    } finally {
      await admin("/api/admin/fees/transfer.logged", {
        method: "PUT",
        body: { active: false, ratePpm: 0, fixedAmount: 0, currency: null },
      });
    }
  });
});

describe("GET /api/admin/stats/telbank", () => {
  it("counts and sums exactly per day, direction, network, currency and symbol", async () => {
    const S = await login();
    const D = Date.UTC(2022, 5, 1);
    const big = "999999999999999999.999999999999999999";
    const made: string[] = [];
    for (const b of [
      base({ cryptoAmount: big, fiatAmount: 1_000_000_000_000 }),
      base({ cryptoAmount: big, fiatAmount: 1_000_000_000_000 }),
      base({
        cryptoAmount: "0.1",
        cryptoSymbol: "BTC",
        network: "bitcoin",
        walletAddress: null,
        fiatAmount: 7,
        fiatCurrency: "USD",
      }),
      base({ direction: "out", cryptoAmount: "2", fiatAmount: 3 }),
    ]) {
      made.push((await post(PATH, S, b)).body.transfer.id);
    }
    await testEnv.DB.prepare(`UPDATE transfers SET created_at = ? WHERE id IN (?, ?, ?)`)
      .bind(D + 5, made[0], made[1], made[2])
      .run();
    await testEnv.DB.prepare(`UPDATE transfers SET created_at = ?, status = 'failed' WHERE id = ?`)
      .bind(D + DAY_MS + 5, made[3])
      .run();

    const res = await admin(`/api/admin/stats/telbank?from=2022-06-01&to=2022-06-03`);
    expect(res.status).toBe(200);
    expect(res.body.fiat).toEqual([
      {
        day: "2022-06-01",
        direction: "in",
        network: "Ethereum Mainnet",
        count: 2,
        settled: 0,
        failed: 0,
        currency: "EUR",
        volume: "2000000000000",
      },
      { day: "2022-06-01", direction: "in", network: "bitcoin", count: 1, settled: 0, failed: 0, currency: "USD", volume: "7" },
      {
        day: "2022-06-02",
        direction: "out",
        network: "Ethereum Mainnet",
        count: 1,
        settled: 0,
        failed: 1,
        currency: "EUR",
        volume: "3",
      },
    ]);
    expect(res.body.crypto).toEqual([
      {
        day: "2022-06-01",
        direction: "in",
        network: "Ethereum Mainnet",
        count: 2,
        settled: 0,
        failed: 0,
        symbol: "ETH",
        decimals: 18,
        units: "1999999999999999999999999999999999998",
        amount: "1999999999999999999.999999999999999998",
      },
      {
        day: "2022-06-01",
        direction: "in",
        network: "bitcoin",
        count: 1,
        settled: 0,
        failed: 0,
        symbol: "BTC",
        decimals: 8,
        units: "10000000",
        amount: "0.1",
      },
      {
        day: "2022-06-02",
        direction: "out",
        network: "Ethereum Mainnet",
        count: 1,
        settled: 0,
        failed: 1,
        symbol: "ETH",
        decimals: 18,
        units: "2000000000000000000",
        amount: "2",
      },
    ]);
    expect(res.body.totals.fiat).toEqual([
      { direction: "in", count: 2, settled: 0, failed: 0, currency: "EUR", volume: "2000000000000" },
      { direction: "in", count: 1, settled: 0, failed: 0, currency: "USD", volume: "7" },
      { direction: "out", count: 1, settled: 0, failed: 1, currency: "EUR", volume: "3" },
    ]);
    expect(
      res.body.totals.crypto.map((r: { direction: string; symbol: string; units: string }) => [r.direction, r.symbol, r.units]),
    ).toEqual([
      ["in", "BTC", "10000000"],
      ["in", "ETH", "1999999999999999999999999999999999998"],
      ["out", "ETH", "2000000000000000000"],
    ]);
    expect((await admin("/api/admin/stats/telbank?from=2022-06-03&to=2022-06-01")).body.code).toBe("invalid_range");
    expect((await json("/api/admin/stats/telbank", { session: S.session })).status).toBe(401);
  });
});

describe("erasure of a transfer's owner", () => {
  it("tombstones the owner on the transfer and its fee events; amounts stay", async () => {
    await admin("/api/admin/fees/transfer.logged", { method: "PUT", body: { active: true, fixedAmount: 10 } });
    let id = "";
    try {
      const E = await login();
      id = (await post(PATH, E, base({ fiatAmount: 4_200 }))).body.transfer.id;
      const erased = await admin(`/api/admin/thinkers/${E.uid}`, { method: "DELETE" });
      expect(erased.status).toBe(200);
      const t = await row("SELECT actor_uid, crypto_amount, fiat_amount FROM transfers WHERE id = ?", id);
      expect(t?.actor_uid).toBe(erased.body.tombstone);
      expect(t?.actor_uid).toMatch(/^erased-/);
      expect(t).toMatchObject({ crypto_amount: "1500000000000000000", fiat_amount: 4_200 });
      const fee = await row("SELECT payer_uid, amount FROM fee_events WHERE subject_id = ?", id);
      expect(fee).toEqual({ payer_uid: erased.body.tombstone, amount: 10 });
      expect(await count("events", "actor_uid = ?", E.uid)).toBe(0);
    } finally {
      await admin("/api/admin/fees/transfer.logged", { method: "PUT", body: { active: false, fixedAmount: 0 } });
    }
  });
});
