/**
 * The API code's `Env` (declared for the Pages project by `src/env.d.ts`) as this Worker provides
 * it: its own bindings and vars (`./env.d.ts`), which include the Pages project's vars, plus the
 * secrets. The upload route needs SESSION_KEYS; the other Pages secrets are optional here, and
 * code reaching for them in this Worker answers 503 `not_configured` as it would on a Pages
 * project without them.
 */
interface Env extends Cloudflare.Env {
  SESSION_KEYS: string;
  IDENTITY_HASH_KEY?: string;
  MOT_SHARED_SECRET?: string;
  MOT_SHARED_SECRET_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
}
