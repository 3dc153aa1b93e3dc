/** A Worker that only exists beside the Pages baseline (see ./wrangler.toml); it serves nothing. */
export default {
  fetch: () => new Response("beside the Pages baseline", { status: 404 }),
};
