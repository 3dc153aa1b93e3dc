/**
 * Wallet addresses per network and external accounts. Known networks are checked by their own
 * rules: EVM networks (Ethereum, Polygon) by the EIP-55 mixed-case checksum over keccak-256,
 * Bitcoin-like networks by base58check (version byte and double-SHA-256 checksum) or, for their
 * segwit addresses, bech32/bech32m. Any other network's address is opaque text. An external
 * account that looks like an IBAN must pass the ISO 13616 mod-97 check.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

/** How a network's addresses are checked. */
export type NetworkKind = "evm" | "bitcoin" | "litecoin" | "dogecoin" | "opaque";

/** Network names (lower-case, letters and digits only) with a checked address format. */
const NETWORKS: Readonly<Record<string, NetworkKind>> = {
  ethereum: "evm",
  ethereummainnet: "evm",
  eth: "evm",
  erc20: "evm",
  polygon: "evm",
  polygonmainnet: "evm",
  polygonpos: "evm",
  matic: "evm",
  bitcoin: "bitcoin",
  bitcoinmainnet: "bitcoin",
  btc: "bitcoin",
  litecoin: "litecoin",
  ltc: "litecoin",
  dogecoin: "dogecoin",
  doge: "dogecoin",
};

/** The address rule of a network name as clients write it (`"Ethereum Mainnet"`, `"polygon"`…). */
export function networkKind(network: string | null | undefined): NetworkKind {
  if (!network) return "opaque";
  return NETWORKS[network.toLowerCase().replace(/[^a-z0-9]/g, "")] ?? "opaque";
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The EIP-55 checksummed form of a 20-byte hex address (`0x` + 40 hex digits, any case). */
export function evmChecksum(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = hex(keccak_256(new TextEncoder().encode(lower)));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i] as string;
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/**
 * An EVM address, checksummed, or null. All-lower and all-upper case carry no checksum and are
 * accepted (EIP-55 leaves them valid); mixed case must be the exact checksum.
 */
export function checkEvmAddress(address: string): string | null {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return null;
  const body = address.slice(2);
  const canonical = evmChecksum(address);
  if (body === body.toLowerCase() || body === body.toUpperCase()) return canonical;
  return address === canonical ? canonical : null;
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Decodes base58 (leading `1`s are zero bytes); null on a character outside the alphabet. */
export function base58Decode(text: string): Uint8Array | null {
  let n = 0n;
  for (const ch of text) {
    const v = B58.indexOf(ch);
    if (v < 0) return null;
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  let zeros = 0;
  while (text[zeros] === "1") zeros++;
  return new Uint8Array([...new Array<number>(zeros).fill(0), ...bytes]);
}

/** The payload of a base58check string (version byte first), or null when the checksum fails. */
export function base58CheckPayload(text: string): Uint8Array | null {
  const raw = base58Decode(text);
  if (!raw || raw.length < 5) return null;
  const payload = raw.slice(0, -4);
  const sum = sha256(sha256(payload)).slice(0, 4);
  return sum.every((b, i) => b === raw[raw.length - 4 + i]) ? payload : null;
}

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function bech32Polymod(values: number[]): number {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i] as number;
  }
  return chk >>> 0;
}

/**
 * A segwit address (BIP-173 bech32 for witness version 0, BIP-350 bech32m for 1-16) of one of
 * `hrps`: single case, a valid checksum and a witness program of the allowed length.
 */
export function isSegwitAddress(address: string, hrps: readonly string[]): boolean {
  if (address.length > 90 || (address !== address.toLowerCase() && address !== address.toUpperCase())) return false;
  const a = address.toLowerCase();
  const sep = a.lastIndexOf("1");
  if (sep < 1) return false;
  const hrp = a.slice(0, sep);
  if (!hrps.includes(hrp)) return false;
  const data: number[] = [];
  for (const ch of a.slice(sep + 1)) {
    const v = BECH32.indexOf(ch);
    if (v < 0) return false;
    data.push(v);
  }
  if (data.length < 7) return false;
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const check = bech32Polymod([...expanded, ...data]);
  const version = data[0] as number;
  if (version > 16) return false;
  if (check !== (version === 0 ? 1 : 0x2bc830a3)) return false;
  // The witness program: 5-bit groups back to bytes, without padding bits left over.
  let acc = 0;
  let bits = 0;
  const program: number[] = [];
  for (const v of data.slice(1, -6)) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      program.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return false;
  if (program.length < 2 || program.length > 40) return false;
  return version !== 0 || program.length === 20 || program.length === 32;
}

/** Base58check version bytes (P2PKH, P2SH; testnet too) and segwit prefixes of each Bitcoin-like network. */
const BITCOIN_LIKE: Record<"bitcoin" | "litecoin" | "dogecoin", { versions: number[]; hrps: string[] }> = {
  bitcoin: { versions: [0x00, 0x05, 0x6f, 0xc4], hrps: ["bc", "tb"] },
  litecoin: { versions: [0x30, 0x32, 0x05, 0x6f, 0x3a], hrps: ["ltc", "tltc"] },
  dogecoin: { versions: [0x1e, 0x16, 0x71, 0xc4], hrps: [] },
};

/** A wallet address checked for `network`: the address to store, or why it was refused. */
export type AddressResult = { ok: true; address: string } | { ok: false; message: string };

/**
 * Checks `address` against the rules of `network`. EVM addresses are stored in their checksummed
 * form, so every spelling of one address lists together; other addresses are stored as given.
 */
export function checkWalletAddress(network: string | null | undefined, address: string): AddressResult {
  const kind = networkKind(network);
  if (kind === "opaque") return { ok: true, address };
  if (kind === "evm") {
    const canonical = checkEvmAddress(address);
    return canonical
      ? { ok: true, address: canonical }
      : { ok: false, message: `not a valid ${network} address (0x + 40 hex digits; mixed case must match the EIP-55 checksum)` };
  }
  const rule = BITCOIN_LIKE[kind];
  if (isSegwitAddress(address, rule.hrps)) return { ok: true, address };
  const payload = base58CheckPayload(address);
  if (payload && payload.length === 21 && rule.versions.includes(payload[0] as number)) return { ok: true, address };
  return { ok: false, message: `not a valid ${network} address (base58check or bech32 checksum failed, or wrong prefix)` };
}

/** The filter spellings of a wallet address: itself, and its checksummed form when it is an EVM address. */
export function addressSpellings(address: string): string[] {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return [address];
  const canonical = evmChecksum(address);
  return canonical === address ? [address] : [address, canonical];
}

/** True when `text` (spaces removed, upper-cased) has an IBAN's shape: country, check digits, 11-30 characters. */
export function looksLikeIban(text: string): boolean {
  return /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(text.replace(/ /g, "").toUpperCase());
}

/** ISO 13616: the IBAN, rearranged and with letters as numbers, is 1 modulo 97. */
export function ibanChecksumOk(iban: string): boolean {
  const compact = iban.replace(/ /g, "").toUpperCase();
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= "A" && ch <= "Z" ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** An external account checked: IBANs must pass mod-97 and are stored compact and upper-case; other text as given. */
export function checkExternalAccount(text: string): AddressResult {
  if (!looksLikeIban(text)) return { ok: true, address: text };
  const compact = text.replace(/ /g, "").toUpperCase();
  return ibanChecksumOk(compact)
    ? { ok: true, address: compact }
    : { ok: false, message: "looks like an IBAN but its check digits are wrong (mod-97)" };
}

/** An IBAN as lists show it: country and check digits, the last four characters, the rest starred. */
export function maskAccount(account: string | null): string | null {
  if (account === null || !looksLikeIban(account)) return account;
  const compact = account.replace(/ /g, "").toUpperCase();
  return `${compact.slice(0, 4)}${"*".repeat(compact.length - 8)}${compact.slice(-4)}`;
}
