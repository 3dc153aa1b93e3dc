/** `PUT /r2put?key=…`: the request body into R2 with one `put`, nothing else (see ../wrangler.toml). */
export const onRequestPut: PagesFunction<{ BUCKET: R2Bucket }> = async ({ request, env }) => {
  const key = new URL(request.url).searchParams.get("key") ?? crypto.randomUUID();
  if (!request.body) return Response.json({ ok: false, error: "a body is required" }, { status: 411 });
  const object = await env.BUCKET.put(key, request.body);
  return Response.json({ ok: true, key, size: object?.size ?? 0 });
};
