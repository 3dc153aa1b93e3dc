/**
 * The backend Worker (`src/worker/wrangler.toml`). It hosts the Room Durable Object, which Pages
 * cannot host; the Pages project reaches rooms through its `ROOMS` binding
 * (`script_name = "together-systems-backend"`), authenticating callers first. Its `scheduled`
 * handler runs the settlement and the sweep (`./cron.ts`).
 *
 * Its `fetch` serves exactly one API route, `POST /api/contracts/upload`, with the same route
 * declaration and pipeline as the Pages Function of that path (session check, Origin check, write
 * limit, streaming into R2). A zone route on the portal's host sends that path here, so a document
 * streams straight into R2: a Pages Function receives its body as a tee (every function of a
 * chain gets a `request.clone()`) and the branch Pages keeps for itself holds a copy of every byte
 * until the request ends. Everything else is a JSON 404; in particular nothing is forwarded to a
 * Room, so a client can never set the trusted `x-room-*` headers the Room relies on.
 */
import { buildApp } from "../http/app";
import { upload } from "../legal/routes";
import { Room } from "../rooms/room.do";
import { runScheduled } from "./cron";

export { Room };

/** The API this Worker serves: the upload route only (for a zone route on the portal's host). */
const api = buildApp([upload]);

export default {
  fetch(request, env, ctx) {
    return api.fetch(request, env, ctx);
  },
  async scheduled(controller, env) {
    await runScheduled(controller, env);
  },
} satisfies ExportedHandler<WorkerEnv>;
