/**
 * X.509 certificates as verification needs them: exact DER of the names and key (for
 * OCSP CertID and ESS hashes), validity, the extensions that decide chains and roles, and
 * a cached Node public key. Parsed certificates are cached by their SHA-256, because the
 * same signer and CA certificates recur in every document an office verifies.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  bitStringBytes,
  children,
  content,
  DerError,
  expect,
  explicit,
  integerBytes,
  isContext,
  octets,
  oid,
  parseDer,
  raw,
  TAG,
  type Tlv,
  time,
} from './der';

export interface Certificate {
  readonly der: Buffer;
  /** Hex SHA-256 of the DER: the certificate's identity in caches and reports. */
  readonly id: string;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Buffer;
  readonly serial: Buffer;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly issuerText: string;
  readonly subjectText: string;
  readonly commonName?: string;
  readonly organization?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  /** The subjectPublicKey BIT STRING contents (what OCSP hashes as the issuer key). */
  readonly publicKeyBits: Buffer;
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
  readonly isCA: boolean;
  readonly extendedKeyUsage: readonly string[];
  readonly ocspNoCheck: boolean;
  readonly ocspUrls: readonly string[];
  readonly crlUrls: readonly string[];
  publicKey(): KeyObject;
}

const NAME_LABELS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const CACHE_LIMIT = 2048;
const cache = new Map<string, Certificate>();

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses (or returns the cached parse of) a DER certificate; throws a PkiError when malformed. */
export function parseCertificate(der: Uint8Array): Certificate {
  const buf = Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const id = sha256Hex(buf);
  const hit = cache.get(id);
  if (hit) return hit;
  const cert = decode(Buffer.from(buf), id);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(id, cert);
  return cert;
}

function decode(der: Buffer, id: string): Certificate {
  const top = parseDer(der);
  if (top.end !== der.length) throw new DerError('Certificate has trailing bytes.');
  const [tbsT, sigAlgT, sigT] = children(expect(top, TAG.SEQUENCE, 'Certificate'));
  const tbsParts = children(expect(tbsT, TAG.SEQUENCE, 'Certificate body'));
  let i = 0;
  if (isContext(tbsParts[0], 0)) i++;
  const serialT = tbsParts[i++];
  i++; // inner signature algorithm (must equal the outer one; the chain engine checks signatures)
  const issuerT = expect(tbsParts[i++], TAG.SEQUENCE, 'Certificate issuer');
  const validity = children(expect(tbsParts[i++], TAG.SEQUENCE, 'Certificate validity'));
  const subjectT = expect(tbsParts[i++], TAG.SEQUENCE, 'Certificate subject');
  const spkiT = expect(tbsParts[i++], TAG.SEQUENCE, 'Certificate public key');
  if (!serialT || !validity[0] || !validity[1] || !sigAlgT || !sigT)
    throw new DerError('Certificate is malformed.');
  const spkiParts = children(spkiT);
  let subjectKeyId: Buffer | undefined;
  let authorityKeyId: Buffer | undefined;
  let isCA = false;
  let ocspNoCheck = false;
  const eku: string[] = [];
  const ocspUrls: string[] = [];
  const crlUrls: string[] = [];
  for (; i < tbsParts.length; i++) {
    const part = tbsParts[i]!;
    if (!isContext(part, 3)) continue;
    for (const ext of children(explicit(part))) {
      const e = children(ext);
      const extnId = oid(e[0]!);
      const value = parseDer(octets(e[e.length - 1]!));
      switch (extnId) {
        case '2.5.29.14':
          subjectKeyId = octets(value);
          break;
        case '2.5.29.35':
          for (const c of children(value)) if (isContext(c, 0)) authorityKeyId = content(c);
          break;
        case '2.5.29.19': {
          const bc = children(value);
          isCA = bc[0]?.tag === TAG.BOOLEAN && content(bc[0])[0] !== 0;
          break;
        }
        case '2.5.29.37':
          for (const c of children(value)) eku.push(oid(c));
          break;
        case '1.3.6.1.5.5.7.48.1.5':
          ocspNoCheck = true;
          break;
        case '1.3.6.1.5.5.7.1.1':
          for (const ad of children(value)) {
            const [method, location] = children(ad);
            if (method && location && oid(method) === '1.3.6.1.5.5.7.48.1' && isContext(location, 6)) {
              ocspUrls.push(content(location).toString('latin1'));
            }
          }
          break;
        case '2.5.29.31':
          collectUris(value, crlUrls);
          break;
        default:
          break;
      }
    }
  }
  const subjectText = nameText(subjectT);
  let cachedKey: KeyObject | undefined;
  const spki = raw(spkiT);
  return {
    der,
    id,
    tbs: raw(tbsT!),
    signatureAlgorithm: sigAlgT,
    signature: bitStringBytes(sigT),
    serial: integerBytes(serialT),
    issuer: raw(issuerT),
    subject: raw(subjectT),
    issuerText: nameText(issuerT),
    subjectText,
    commonName: nameAttribute(subjectT, '2.5.4.3'),
    organization: nameAttribute(subjectT, '2.5.4.10'),
    notBefore: time(validity[0]),
    notAfter: time(validity[1]),
    spki,
    publicKeyBits: bitStringBytes(spkiParts[1]!),
    subjectKeyId,
    authorityKeyId,
    isCA,
    extendedKeyUsage: eku,
    ocspNoCheck,
    ocspUrls,
    crlUrls,
    publicKey(): KeyObject {
      if (!cachedKey) {
        try {
          cachedKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
        } catch {
          throw new DerError(`The public key of certificate "${subjectText}" cannot be read.`);
        }
      }
      return cachedKey;
    },
  };
}

function collectUris(t: Tlv, out: string[]): void {
  for (const c of children(t)) {
    if (isContext(c, 6) && (c.tag & 0x20) === 0) out.push(content(c).toString('latin1'));
    else if ((c.tag & 0x20) !== 0) collectUris(c, out);
  }
}

function stringValue(t: Tlv): string {
  const b = content(t);
  switch (t.tag) {
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    case 0x0c:
      return b.toString('utf8');
    default:
      return b.toString('latin1');
  }
}

function nameAttribute(name: Tlv, type: string): string | undefined {
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [t, v] = children(atv);
      if (t && v && oid(t) === type) return stringValue(v);
    }
  }
  return undefined;
}

/** RFC 4514-like text, most significant first as people read it: "CN=…, O=…, C=VN". */
export function nameText(name: Tlv): string {
  const parts: string[] = [];
  for (const rdn of children(name)) {
    const atvs = children(rdn).map((atv) => {
      const [t, v] = children(atv);
      if (!t || !v) return '';
      const o = oid(t);
      return `${NAME_LABELS[o] ?? o}=${stringValue(v)}`;
    });
    parts.push(atvs.join('+'));
  }
  return parts.reverse().join(', ');
}

/** Parses a Name given as DER bytes (e.g. from an IssuerSerial). */
export function nameTextOf(der: Buffer): string {
  return nameText(parseDer(der));
}
