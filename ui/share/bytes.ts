/*
 * Byte helpers for the share page, written for the browser (no Buffer): base64url and base64 as the
 * client writes them (`Buffer.toString('base64url')`, `'base64'`), hex, and big-endian integers.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URL_ALPHABET = `${ALPHABET}-_`;
const STD_ALPHABET = `${ALPHABET}+/`;

function encodeWith(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + alphabet[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + (pad ? '=' : '');
  }
  return out;
}

function decodeWith(text: string, alphabet: string): Uint8Array<ArrayBuffer> | undefined {
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of body) {
    const v = alphabet.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Encodes bytes as URL-safe base64 without padding (as `Buffer.toString('base64url')`).
 *
 * @example
 * toBase64Url(new Uint8Array([251, 255])); // '-_8'
 */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeWith(bytes, URL_ALPHABET, false);
}

/**
 * Decodes URL-safe base64 in canonical form (the form `toBase64Url` gives back: no padding, unused
 * low bits zero); undefined for anything else.
 *
 * @example
 * fromBase64Url('-_8'); // Uint8Array [251, 255]
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = decodeWith(text, URL_ALPHABET);
  return bytes && toBase64Url(bytes) === text ? bytes : undefined;
}

/**
 * Decodes standard base64 with padding (the manifest's `shardSha256`); undefined when malformed.
 *
 * @example
 * fromBase64('AAE='); // Uint8Array [0, 1]
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = decodeWith(text, STD_ALPHABET);
  return bytes && encodeWith(bytes, STD_ALPHABET, true) === text ? bytes : undefined;
}

/**
 * Lowercase hex of bytes, without `0x`.
 *
 * @example
 * toHex(new Uint8Array([1, 171])); // '01ab'
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * Bytes of an even-length hex string (with or without `0x`).
 *
 * @example
 * fromHex('0x01ab'); // Uint8Array [1, 171]
 */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${text.slice(0, 20)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Concatenates byte arrays.
 *
 * @example
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A big-endian unsigned integer of `length` bytes.
 *
 * @example
 * uintBytes(1n, 8); // 00 00 00 00 00 00 00 01
 */
export function uintBytes(value: bigint | number, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Reads a big-endian unsigned integer.
 *
 * @example
 * readUint(new Uint8Array([1, 0]), 0, 2); // 256n
 */
export function readUint(bytes: Uint8Array, at: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

/** ASCII/UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}
