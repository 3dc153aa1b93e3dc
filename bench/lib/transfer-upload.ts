/**
 * Request bodies of the telbank transfer and legal-hub upload workloads of `npm run bench`.
 *
 * @module
 */
import type { PostBody } from "./setup";

/**
 * A transfer the route accepts: an exact decimal crypto amount, fiat in minor units and an EVM
 * address in its EIP-55 checksummed spelling (the checksum is verified on every request).
 */
export const TRANSFER_BODY: PostBody<"/api/telbank/transfers"> = {
  direction: "in",
  cryptoAmount: "1.5",
  cryptoSymbol: "ETH",
  fiatAmount: 420_000,
  fiatCurrency: "EUR",
  network: "ethereum",
  walletAddress: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
};

/** The document size of the upload workload: 10 MiB. */
export const UPLOAD_BYTES = 10 * 1024 * 1024;

/**
 * A file of `size` bytes the legal hub stores as a PDF: the `%PDF-` signature, then filler bytes
 * (a repeating pattern, not all zeros, so nothing on the way can shortcut it).
 */
export function pdfBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  bytes.set(new TextEncoder().encode("%PDF-1.7\n"), 0);
  return bytes;
}

/**
 * A whole `multipart/form-data` body with one `file` part holding `file` as `application/pdf`,
 * built once and sent by every request (the client does not re-encode 10 MiB per request).
 */
export function multipartBody(file: Uint8Array, filename: string): { body: Uint8Array; contentType: string } {
  const boundary = "----benchBoundary7MA4YWxkTrZu0gW";
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + file.length + tail.length);
  body.set(head, 0);
  body.set(file, head.length);
  body.set(tail, head.length + file.length);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
