/**
 * Revocation status of a certificate at the signing time, from the evidence in the
 * document (CMS revocation info, the Adobe archival attribute, the DSS) or fetched through
 * a RevocationSource. Evidence counts only when signed by the certificate's issuer (or a
 * responder the issuer delegated to) and when it speaks for the signing time: issued at or
 * after it, or issued before it with a nextUpdate that still covers it.
 */
import { createHash } from 'node:crypto';
import type { RevocationSource } from '../providers';
import { nodeHash, OID, signatureAlgorithm, verifySignature } from './asn1/algorithms';
import { children, explicit, isContext, type Tlv } from './asn1/der';
import {
  type Crl,
  type OcspResponse,
  parseCrl,
  parseOcspResponse,
  REVOCATION_REASONS,
} from './asn1/revocation-data';
import type { Certificate } from './asn1/x509';
import { issuedBy } from './chain';
import { parseCertificates } from './signer-info';

export type EvidenceOrigin = 'cms' | 'dss' | 'fetched';

export interface Evidence {
  readonly ocsps: readonly { readonly response: OcspResponse; readonly origin: EvidenceOrigin }[];
  readonly crls: readonly { readonly crl: Crl; readonly origin: EvidenceOrigin }[];
  /** Certificates that may sign OCSP responses (besides those inside each response). */
  readonly certificates: readonly Certificate[];
}

export type RevocationState = 'good' | 'revoked' | 'unknown';

export interface CertificateRevocation {
  readonly subject: string;
  readonly status: RevocationState;
  readonly method?: 'ocsp' | 'crl' | 'not_checked';
  readonly origin?: EvidenceOrigin;
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly message: string;
}

/** Clock skew allowed between the signing time and evidence issued just before it. */
const SKEW_MS = 5 * 60 * 1000;

export function emptyEvidence(): Evidence {
  return { ocsps: [], crls: [], certificates: [] };
}

/** Parses raw OCSP responses and CRLs, dropping what cannot be read. */
export function collectEvidence(
  origin: EvidenceOrigin,
  ocspDers: readonly Buffer[],
  crlDers: readonly Buffer[],
  certDers: readonly Buffer[] = [],
): Evidence {
  const ocsps: { response: OcspResponse; origin: EvidenceOrigin }[] = [];
  for (const der of ocspDers) {
    try {
      const response = parseOcspResponse(der);
      if (response) ocsps.push({ response, origin });
    } catch {
      // Unreadable evidence proves nothing; it is simply not used.
    }
  }
  const crls: { crl: Crl; origin: EvidenceOrigin }[] = [];
  for (const der of crlDers) {
    try {
      crls.push({ crl: parseCrl(der), origin });
    } catch {
      // as above
    }
  }
  return { ocsps, crls, certificates: parseCertificates(certDers) };
}

export function mergeEvidence(...list: Evidence[]): Evidence {
  return {
    ocsps: list.flatMap((e) => e.ocsps),
    crls: list.flatMap((e) => e.crls),
    certificates: list.flatMap((e) => e.certificates),
  };
}

/** adbe-revocationInfoArchival (1.2.840.113583.1.1.8): CRLs [0] and OCSP responses [1]. */
export function adobeArchivalEvidence(value: Tlv | undefined): Evidence {
  if (!value) return emptyEvidence();
  const ocsps: Buffer[] = [];
  const crls: Buffer[] = [];
  try {
    for (const part of children(value)) {
      const list = children(explicit(part));
      if (isContext(part, 0)) for (const c of list) crls.push(c.buf.subarray(c.start, c.end));
      if (isContext(part, 1)) for (const c of list) ocsps.push(c.buf.subarray(c.start, c.end));
    }
  } catch {
    return emptyEvidence();
  }
  return collectEvidence('cms', ocsps, crls);
}

function sha(alg: string, data: Buffer): Buffer {
  return createHash(alg).update(data).digest();
}

/** The certificate that signed this OCSP response, if it is the issuer or a responder it delegated to. */
function ocspSigner(
  response: OcspResponse,
  issuer: Certificate,
  pool: readonly Certificate[],
): Certificate | undefined {
  const matches = (c: Certificate): boolean =>
    response.responderName
      ? c.subject.equals(response.responderName)
      : response.responderKeyHash !== undefined &&
        sha('sha1', c.publicKeyBits).equals(response.responderKeyHash);
  if (matches(issuer)) return issuer;
  const candidates = [...parseCertificates(response.certificates), ...pool];
  return candidates.find(
    (c) =>
      matches(c) &&
      c.extendedKeyUsage.includes(OID.ekuOcspSigning) &&
      issuedBy(c, issuer) &&
      response.producedAt >= c.notBefore &&
      response.producedAt <= c.notAfter,
  );
}

function signedBy(tbs: Buffer, algT: Tlv, signature: Buffer, signer: Certificate): boolean {
  try {
    return verifySignature(signer.publicKey(), signatureAlgorithm(algT), tbs, signature);
  } catch {
    return false;
  }
}

function covers(at: Date, thisUpdate: Date, nextUpdate: Date | undefined): boolean {
  if (thisUpdate.getTime() >= at.getTime() - SKEW_MS) return true;
  return nextUpdate !== undefined && nextUpdate >= at;
}

interface Finding {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly method: 'ocsp' | 'crl';
  readonly origin: EvidenceOrigin;
  readonly revokedAt?: Date;
  readonly reason?: number;
  readonly covering: boolean;
}

function findings(cert: Certificate, issuer: Certificate, at: Date, evidence: Evidence): Finding[] {
  const out: Finding[] = [];
  const keyHashes = new Map<string, Buffer>();
  const nameHashes = new Map<string, Buffer>();
  for (const { response, origin } of evidence.ocsps) {
    for (const single of response.responses) {
      if (!single.serial.equals(cert.serial) || !single.hash) continue;
      const h = nodeHash(single.hash);
      if (!keyHashes.has(h)) {
        keyHashes.set(h, sha(h, issuer.publicKeyBits));
        nameHashes.set(h, sha(h, issuer.subject));
      }
      if (
        !single.issuerKeyHash.equals(keyHashes.get(h)!) ||
        !single.issuerNameHash.equals(nameHashes.get(h)!)
      ) {
        continue;
      }
      const signer = ocspSigner(response, issuer, evidence.certificates);
      if (!signer || !signedBy(response.tbs, response.signatureAlgorithm, response.signature, signer))
        continue;
      out.push({
        status: single.status,
        method: 'ocsp',
        origin,
        revokedAt: single.revokedAt,
        reason: single.reason,
        covering: covers(at, single.thisUpdate, single.nextUpdate),
      });
    }
  }
  for (const { crl, origin } of evidence.crls) {
    if (!crl.issuer.equals(cert.issuer)) continue;
    if (!signedBy(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer)) continue;
    const entry = crl.revoked.get(cert.serial.toString('hex'));
    out.push({
      status: entry ? 'revoked' : 'good',
      method: 'crl',
      origin,
      revokedAt: entry?.revokedAt,
      reason: entry?.reason,
      covering: covers(at, crl.thisUpdate, crl.nextUpdate),
    });
  }
  return out;
}

/**
 * Decides from the evidence. A revocation dated at or before the signing time revokes; one
 * dated after it revokes too unless that time is proven by a timestamp (a claimed /M could
 * be back-dated). "good" needs evidence that speaks for the signing time.
 */
function decide(
  cert: Certificate,
  at: Date,
  timeProven: boolean,
  found: Finding[],
): CertificateRevocation | undefined {
  const subject = cert.subjectText;
  const revoked = found.find((f) => f.status === 'revoked' && (!timeProven || (f.revokedAt ?? at) <= at));
  if (revoked) {
    const reason = revoked.reason !== undefined ? REVOCATION_REASONS[revoked.reason] : undefined;
    return {
      subject,
      status: 'revoked',
      method: revoked.method,
      origin: revoked.origin,
      revokedAt: revoked.revokedAt,
      reason,
      message: `Revoked at ${revoked.revokedAt?.toISOString() ?? 'an unknown time'}${reason ? ` (${reason})` : ''}${
        timeProven ? ', before the proven signing time' : ''
      } (${revoked.method.toUpperCase()}).`,
    };
  }
  const later = found.find((f) => f.status === 'revoked');
  const good =
    found.find((f) => f.status === 'good' && f.covering) ?? (later && { ...later, status: 'good' as const });
  if (good) {
    return {
      subject,
      status: 'good',
      method: good.method,
      origin: good.origin,
      revokedAt: later?.revokedAt,
      message: later
        ? `Not revoked at the proven signing time; revoked later, at ${later.revokedAt?.toISOString()}.`
        : `Not revoked at the signing time (${good.method.toUpperCase()}, ${ORIGIN_TEXT[good.origin]}).`,
    };
  }
  const unknown = found.find((f) => f.status === 'unknown');
  if (unknown) {
    return {
      subject,
      status: 'unknown',
      method: unknown.method,
      origin: unknown.origin,
      message: 'The OCSP responder does not know this certificate.',
    };
  }
  return undefined;
}

const ORIGIN_TEXT: Record<EvidenceOrigin, string> = {
  cms: 'embedded in the signature',
  dss: 'from the document security store',
  fetched: 'fetched now',
};

export interface RevocationContext {
  readonly evidence: Evidence;
  readonly source?: RevocationSource;
  /** Per-verification memo of fetched evidence, so one certificate is fetched once. */
  readonly fetched: Map<string, Promise<Evidence>>;
}

/** Status of `cert` (issued by `issuer`) at time `at`. */
export async function certificateRevocation(
  cert: Certificate,
  issuer: Certificate,
  at: Date,
  timeProven: boolean,
  ctx: RevocationContext,
): Promise<CertificateRevocation> {
  if (cert.ocspNoCheck && cert.extendedKeyUsage.includes(OID.ekuOcspSigning)) {
    return {
      subject: cert.subjectText,
      status: 'good',
      method: 'not_checked',
      message: 'OCSP responder certificate marked "no check".',
    };
  }
  const embedded = decide(cert, at, timeProven, findings(cert, issuer, at, ctx.evidence));
  if (embedded && embedded.status !== 'unknown') return embedded;
  if (ctx.source) {
    const source = ctx.source;
    let pending = ctx.fetched.get(cert.id);
    if (!pending) {
      pending = fetchEvidence(source, cert, issuer);
      ctx.fetched.set(cert.id, pending);
    }
    const fetched = decide(cert, at, timeProven, findings(cert, issuer, at, await pending));
    if (fetched) return fetched;
  }
  return (
    embedded ?? {
      subject: cert.subjectText,
      status: 'unknown',
      message: ctx.source
        ? 'No usable OCSP response or CRL was found for this certificate.'
        : 'No revocation data is embedded and fetching is off.',
    }
  );
}

async function fetchEvidence(
  source: RevocationSource,
  cert: Certificate,
  issuer: Certificate,
): Promise<Evidence> {
  const ocsps: Buffer[] = [];
  const crls: Buffer[] = [];
  try {
    const r = await source.ocsp(cert.der, issuer.der);
    if (r) ocsps.push(Buffer.from(r));
  } catch {
    // A source that fails is the same as one that has nothing.
  }
  if (ocsps.length === 0) {
    try {
      for (const c of await source.crls(cert.der)) crls.push(Buffer.from(c));
    } catch {
      // as above
    }
  }
  return collectEvidence('fetched', ocsps, crls);
}

/** True when `evidence` holds a properly signed OCSP response or CRL that settles `cert`'s status. */
export function hasRevocationEvidence(cert: Certificate, issuer: Certificate, evidence: Evidence): boolean {
  if (cert.ocspNoCheck && cert.extendedKeyUsage.includes(OID.ekuOcspSigning)) return true;
  return findings(cert, issuer, new Date(0), evidence).some((f) => f.status !== 'unknown');
}
