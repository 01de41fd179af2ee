/**
 * OCSP responses (RFC 6960) and CRLs (RFC 5280) as evidence: parsed, not yet trusted.
 * Whether the evidence is signed by the right issuer is decided in verify/revocation.ts.
 */
import { type DigestName, digestAlgorithm } from './algorithms';
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

export interface SingleOcspResponse {
  readonly hash?: DigestName;
  readonly issuerNameHash: Buffer;
  readonly issuerKeyHash: Buffer;
  readonly serial: Buffer;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: number;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

export interface OcspResponse {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Buffer;
  readonly certificates: Buffer[];
  readonly responderName?: Buffer;
  readonly responderKeyHash?: Buffer;
  readonly producedAt: Date;
  readonly responses: SingleOcspResponse[];
}

/** Parses an OCSPResponse (or a bare BasicOCSPResponse); undefined when its status is not successful. */
export function parseOcspResponse(der: Buffer): OcspResponse | undefined {
  const top = expect(parseDer(der), TAG.SEQUENCE, 'OCSP response');
  const parts = children(top);
  let basic: Tlv;
  if (parts[0]?.tag === TAG.ENUMERATED) {
    if (content(parts[0])[0] !== 0 || !parts[1]) return undefined;
    const [type, bytes] = children(explicit(parts[1]));
    if (!type || oid(type) !== '1.3.6.1.5.5.7.48.1.1' || !bytes)
      throw new DerError('OCSP response is not basic.');
    basic = parseDer(Buffer.from(octets(bytes)));
  } else basic = top;
  const [tbsT, algT, sigT, certsT] = children(expect(basic, TAG.SEQUENCE, 'Basic OCSP response'));
  const tbsParts = children(expect(tbsT, TAG.SEQUENCE, 'OCSP response data'));
  let i = 0;
  if (isContext(tbsParts[0], 0)) i++;
  const rid = tbsParts[i++];
  let responderName: Buffer | undefined;
  let responderKeyHash: Buffer | undefined;
  if (isContext(rid, 1)) responderName = raw(explicit(rid!));
  else if (isContext(rid, 2)) responderKeyHash = octets(explicit(rid!));
  else throw new DerError('OCSP responder id is malformed.');
  const producedAt = time(expect(tbsParts[i++], TAG.GENERALIZED_TIME, 'OCSP producedAt'));
  const responses = children(expect(tbsParts[i], TAG.SEQUENCE, 'OCSP responses')).map(singleResponse);
  const certificates = certsT && isContext(certsT, 0) ? children(explicit(certsT)).map(raw) : [];
  return {
    der: raw(top),
    tbs: raw(tbsT!),
    signatureAlgorithm: expect(algT, TAG.SEQUENCE, 'OCSP signature algorithm'),
    signature: bitStringBytes(expect(sigT, TAG.BIT_STRING, 'OCSP signature')),
    certificates,
    responderName,
    responderKeyHash,
    producedAt,
    responses,
  };
}

function singleResponse(t: Tlv): SingleOcspResponse {
  const [certId, statusT, thisUpdateT, ...rest] = children(expect(t, TAG.SEQUENCE, 'OCSP single response'));
  const [alg, nameHash, keyHash, serial] = children(expect(certId, TAG.SEQUENCE, 'OCSP CertID'));
  if (!alg || !nameHash || !keyHash || !serial || !statusT) throw new DerError('OCSP CertID is malformed.');
  let status: SingleOcspResponse['status'];
  let revokedAt: Date | undefined;
  let reason: number | undefined;
  if (isContext(statusT, 0)) status = 'good';
  else if (isContext(statusT, 1)) {
    status = 'revoked';
    const r = children(statusT);
    revokedAt = time(r[0]!);
    if (r[1] && isContext(r[1], 0)) reason = content(explicit(r[1]))[0];
  } else if (isContext(statusT, 2)) status = 'unknown';
  else throw new DerError('OCSP certificate status is malformed.');
  const next = rest.find((x) => isContext(x, 0));
  return {
    hash: digestAlgorithm(alg),
    issuerNameHash: octets(nameHash),
    issuerKeyHash: octets(keyHash),
    serial: integerBytes(serial),
    status,
    revokedAt,
    reason,
    thisUpdate: time(expect(thisUpdateT, TAG.GENERALIZED_TIME, 'OCSP thisUpdate')),
    nextUpdate: next ? time(explicit(next)) : undefined,
  };
}

export interface CrlEntry {
  readonly revokedAt: Date;
  readonly reason?: number;
}

export interface Crl {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Buffer;
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** Revoked serials (hex of the INTEGER content without redundant zeros). */
  readonly revoked: Map<string, CrlEntry>;
}

export function parseCrl(der: Buffer): Crl {
  const top = expect(parseDer(der), TAG.SEQUENCE, 'CRL');
  const [tbsT, algT, sigT] = children(top);
  const parts = children(expect(tbsT, TAG.SEQUENCE, 'CRL body'));
  let i = 0;
  if (parts[0]?.tag === TAG.INTEGER) i++;
  i++; // signature algorithm
  const issuer = raw(expect(parts[i++], TAG.SEQUENCE, 'CRL issuer'));
  const thisUpdate = time(parts[i++]!);
  let nextUpdate: Date | undefined;
  if (parts[i] && (parts[i]!.tag === TAG.UTC_TIME || parts[i]!.tag === TAG.GENERALIZED_TIME)) {
    nextUpdate = time(parts[i++]!);
  }
  const revoked = new Map<string, CrlEntry>();
  if (parts[i]?.tag === TAG.SEQUENCE) {
    for (const entry of children(parts[i]!)) {
      const [serial, date, exts] = children(entry);
      if (!serial || !date) throw new DerError('CRL entry is malformed.');
      let reason: number | undefined;
      if (exts?.tag === TAG.SEQUENCE) {
        for (const ext of children(exts)) {
          const e = children(ext);
          if (e[0] && oid(e[0]) === '2.5.29.21') {
            const v = parseDer(octets(e[e.length - 1]!));
            reason = content(v)[0];
          }
        }
      }
      revoked.set(integerBytes(serial).toString('hex'), { revokedAt: time(date), reason });
    }
  }
  return {
    der: raw(top),
    tbs: raw(tbsT!),
    signatureAlgorithm: expect(algT, TAG.SEQUENCE, 'CRL signature algorithm'),
    signature: bitStringBytes(expect(sigT, TAG.BIT_STRING, 'CRL signature')),
    issuer,
    thisUpdate,
    nextUpdate,
    revoked,
  };
}

/** Reason codes by RFC 5280 number, for reports. */
export const REVOCATION_REASONS: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};
