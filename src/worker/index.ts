/**
 * The backend Worker (`src/worker/wrangler.toml`). It exists to host the Room Durable Object,
 * which Pages cannot host; the Pages project reaches rooms through its `ROOMS` binding
 * (`script_name = "together-systems-backend"`), authenticating callers first.
 *
 * Its own `fetch` deliberately serves nothing: forwarding here would let a client set the trusted
 * `x-room-*` headers the Room relies on. Its `scheduled` handler runs the settlement and the sweep
 * (`./cron.ts`).
 */
import { Room } from "../rooms/room.do";
import { runScheduled } from "./cron";

export { Room };

export default {
  async fetch(): Promise<Response> {
    return Response.json({ ok: false, error: "not found", code: "not_found" }, { status: 404 });
  },
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<WorkerEnv>;
