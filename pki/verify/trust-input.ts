/**
 * What callers pass as `trust`: certificates as DER bytes or PEM text (one or several per
 * string). Nothing is trusted by default; an empty list trusts nothing. The parsed set is
 * memoised per input array so verifying many documents with the same anchors costs nothing.
 */
import { PkiError } from '../errors';
import { makeTrustSet, type TrustSet, type TrustValidator } from './chain';

/**
 * Trust anchors as DER or PEM, or a trust store (pki/trust TrustStore) whose validation then
 * judges every chain.
 */
export type TrustAnchors = readonly (Uint8Array | string)[] | TrustValidator;

const memo = new WeakMap<object, TrustSet>();

/** Splits PEM text into DER certificates. */
export function pemCertificates(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const re =
    /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

function isValidator(input: TrustAnchors): input is TrustValidator {
  return !Array.isArray(input) && typeof (input as TrustValidator).validate === 'function';
}

export function trustSetOf(input: TrustAnchors): TrustSet {
  if (isValidator(input)) {
    // A store can change between calls, so its anchors are read each time (cheap: a few certificates).
    try {
      return makeTrustSet(input.anchors(), input);
    } catch {
      throw new PkiError(
        'invalid_input',
        'A trust anchor of the trust store is not a readable X.509 certificate.',
      );
    }
  }
  const hit = memo.get(input);
  if (hit) return hit;
  const items = input as readonly (Uint8Array | string)[];
  const ders: Buffer[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      const found = pemCertificates(item);
      if (found.length === 0)
        throw new PkiError('invalid_input', 'A trust anchor given as text holds no PEM certificate.');
      ders.push(...found);
    } else {
      const buf = Buffer.from(item);
      const text = buf.subarray(0, 64).toString('latin1');
      ders.push(...(text.includes('-----BEGIN') ? pemCertificates(buf.toString('latin1')) : [buf]));
    }
  }
  let set: TrustSet;
  try {
    set = makeTrustSet(ders);
  } catch {
    throw new PkiError('invalid_input', 'A trust anchor is not a readable X.509 certificate.');
  }
  memo.set(input, set);
  return set;
}
