/**
 * Baseline of `npm run bench:settle`: ONE statement, the bare `SELECT … SUM … GROUP BY` a
 * settlement is at least — fee events of a period grouped by beneficiary × payer × currency.
 * `GET /aggregate?from&to` → `{ok, groups, totals: {currency: sum}, ms}` (`ms`: the query alone).
 */
interface BaselineEnv {
  DB: D1Database;
}

export default {
  async fetch(req: Request, env: BaselineEnv): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (url.pathname !== "/aggregate") return new Response("not found", { status: 404 });
    const from = Number(url.searchParams.get("from"));
    const to = Number(url.searchParams.get("to"));
    const started = Date.now();
    const { results } = await env.DB.prepare(
      `SELECT beneficiary_id, payer_uid, currency, SUM(amount) AS total, COUNT(*) AS n
       FROM fee_events WHERE created_at >= ?1 AND created_at < ?2
       GROUP BY beneficiary_id, payer_uid, currency`,
    )
      .bind(from, to)
      .all<{ currency: string; total: number; n: number }>();
    const ms = Date.now() - started;
    const totals: Record<string, number> = {};
    for (const r of results) totals[r.currency] = (totals[r.currency] ?? 0) + r.total;
    return Response.json({ ok: true, groups: results.length, totals, ms });
  },
};
