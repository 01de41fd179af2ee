/**
 * Byte-level conversions shared by the PKI modules: PEM ⇄ DER, hex and base64, and the
 * ArrayBuffer views that asn1js/pkijs expect. Anything that can fail on user input throws
 * PkiError('invalid_input') with a sentence naming what was wrong.
 */
import { PkiError } from '../errors';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** True when the bytes look like PEM text rather than DER. */
export function isPem(input: Uint8Array | string): boolean {
  const text = typeof input === 'string' ? input : Buffer.from(input.subarray(0, 4096)).toString('latin1');
  return text.includes('-----BEGIN ');
}

/** Every PEM block in `text`, in order. */
export function pemBlocks(input: Uint8Array | string): PemBlock[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = (match[2] ?? '').replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new PkiError('invalid_input', `The PEM block "${match[1]}" is not valid base64.`);
    }
    blocks.push({ label: match[1] ?? '', der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/** DER of the first PEM block with one of `labels`, or the input itself when it is DER. */
export function toDer(input: Uint8Array | string, labels: readonly string[], what: string): Uint8Array {
  if (!isPem(input)) {
    if (typeof input === 'string') throw new PkiError('invalid_input', `The ${what} is neither PEM nor DER.`);
    return input;
  }
  const block = pemBlocks(input).find((b) => labels.includes(b.label));
  if (!block)
    throw new PkiError('invalid_input', `No ${labels.join(' or ')} PEM block found in the ${what}.`);
  return block.der;
}

export function derToPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A fresh ArrayBuffer holding exactly `bytes` (asn1js/pkijs/WebCrypto want ArrayBuffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(hex: string, what: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new PkiError('invalid_input', `The ${what} is not a hexadecimal string.`);
  }
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

export function fromBase64(text: string, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) && !/^[A-Za-z0-9_-]*={0,2}$/.test(clean)) {
    throw new PkiError('invalid_input', `The ${what} is not base64.`);
  }
  return new Uint8Array(
    Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64'),
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * A certificate serial as lower-case hex without leading zero bytes: the form we store and
 * print, and what `openssl x509 -serial` prints (modulo case).
 */
export function normaliseSerialHex(serial: string): string {
  const clean = serial.replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase();
  if (clean.length === 0 || !/^[0-9a-f]+$/.test(clean)) {
    throw new PkiError('invalid_input', `"${serial}" is not a hexadecimal certificate serial number.`);
  }
  const trimmed = clean.replace(/^0+/, '');
  return trimmed.length === 0 ? '0' : trimmed;
}
