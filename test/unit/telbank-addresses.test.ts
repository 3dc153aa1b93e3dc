/**
 * Wallet address rules per network (EIP-55 over keccak-256, base58check, bech32/bech32m, opaque
 * text for unknown networks) and IBAN mod-97 with masking.
 */
import { describe, expect, it } from "vitest";
import {
  addressSpellings,
  base58CheckPayload,
  checkEvmAddress,
  checkExternalAccount,
  checkWalletAddress,
  evmChecksum,
  ibanChecksumOk,
  isSegwitAddress,
  maskAccount,
  networkKind,
} from "../../src/telbank/addresses";

// EIP-55's own examples.
const EIP55 = [
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
];

describe("EVM addresses", () => {
  it("computes the EIP-55 checksum (keccak-256)", () => {
    for (const a of EIP55) {
      expect(evmChecksum(a.toLowerCase())).toBe(a);
      expect(checkEvmAddress(a)).toBe(a);
    }
  });

  it("accepts single-case spellings (no checksum) and stores the checksummed form", () => {
    const a = EIP55[0] as string;
    expect(checkEvmAddress(a.toLowerCase())).toBe(a);
    expect(checkEvmAddress(`0x${a.slice(2).toUpperCase()}`)).toBe(a);
  });

  it("refuses a wrong mixed-case checksum and malformed hex", () => {
    const a = EIP55[0] as string;
    const flipped = `${a.slice(0, 3)}${a[3] === "a" ? "A" : "a"}${a.slice(4)}`;
    expect(checkEvmAddress(flipped)).toBeNull();
    expect(checkEvmAddress(a.slice(0, -1))).toBeNull();
    expect(checkEvmAddress(`${a}0`)).toBeNull();
    expect(checkEvmAddress(a.replace("0x", "0X"))).toBeNull();
    expect(checkEvmAddress("0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).toBeNull();
  });

  it("applies to Ethereum and Polygon under their usual names", () => {
    for (const n of ["ethereum", "Ethereum Mainnet", "ETH", "polygon", "Polygon PoS", "matic"]) {
      expect(networkKind(n), n).toBe("evm");
      expect(checkWalletAddress(n, "0x123").ok, n).toBe(false);
    }
  });

  it("lists every spelling of an EVM address together", () => {
    const a = EIP55[1] as string;
    expect(addressSpellings(a.toLowerCase())).toEqual([a.toLowerCase(), a]);
    expect(addressSpellings(a)).toEqual([a]);
    expect(addressSpellings("bc1xyz")).toEqual(["bc1xyz"]);
  });
});

describe("Bitcoin-like addresses", () => {
  it("accepts base58check addresses with the network's version bytes", () => {
    for (const a of [
      "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
      "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
      "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    ]) {
      expect(checkWalletAddress("bitcoin", a), a).toEqual({ ok: true, address: a });
      expect(base58CheckPayload(a)?.length, a).toBe(21);
    }
  });

  it("refuses a changed character (checksum), a foreign alphabet and another network's version", () => {
    expect(checkWalletAddress("Bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb").ok).toBe(false);
    expect(checkWalletAddress("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0").ok).toBe(false);
    expect(checkWalletAddress("bitcoin", "").ok).toBe(false);
    // A valid Bitcoin address is not a Dogecoin address (version 0x00 is not Dogecoin's).
    expect(checkWalletAddress("dogecoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").ok).toBe(false);
  });

  it("accepts segwit addresses (bech32 v0, bech32m v1+) and refuses broken ones", () => {
    const valid = [
      "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
      "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
      "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    ];
    for (const a of valid) expect(isSegwitAddress(a, ["bc", "tb"]), a).toBe(true);
    expect(isSegwitAddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ["bc"])).toBe(false);
    expect(isSegwitAddress("bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ["bc"])).toBe(false);
    expect(isSegwitAddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ["ltc"])).toBe(false);
    expect(checkWalletAddress("btc", valid[1] as string).ok).toBe(true);
  });
});

describe("unknown networks", () => {
  it("accept any address as opaque text", () => {
    expect(networkKind("Solana")).toBe("opaque");
    expect(networkKind(null)).toBe("opaque");
    expect(checkWalletAddress("Solana", "any text")).toEqual({ ok: true, address: "any text" });
  });
});

describe("external accounts", () => {
  it("checks IBANs by mod-97 and stores them compact", () => {
    expect(ibanChecksumOk("DE89370400440532013000")).toBe(true);
    expect(ibanChecksumOk("GB82WEST12345698765432")).toBe(true);
    expect(checkExternalAccount("de89 3704 0044 0532 0130 00")).toEqual({ ok: true, address: "DE89370400440532013000" });
    expect(checkExternalAccount("DE89370400440532013001").ok).toBe(false);
    expect(checkExternalAccount("GB82WEST12345698765433").ok).toBe(false);
  });

  it("leaves other accounts alone", () => {
    expect(checkExternalAccount("skrill: a@example.org")).toEqual({ ok: true, address: "skrill: a@example.org" });
    expect(checkExternalAccount("REF-2026-0001")).toEqual({ ok: true, address: "REF-2026-0001" });
  });

  it("masks IBANs, keeping country, check digits and the last four", () => {
    expect(maskAccount("DE89370400440532013000")).toBe("DE89**************3000");
    expect(maskAccount("REF-1")).toBe("REF-1");
    expect(maskAccount(null)).toBeNull();
  });
});
