/**
 * The unsigned parts of a CMS signature — its certificate set, its revocation data, its
 * unsigned attributes — are not covered by the signature value. They can still be checked:
 * every certificate must verify against an issuer present (or itself, for a root), every
 * CRL and OCSP response against its issuer or responder, and no unsigned attribute may be
 * of a kind we do not verify. A changed byte there then shows up as damage instead of
 * passing unnoticed; data that simply cannot be checked here makes the result indeterminate.
 */
import { createHash } from 'node:crypto';
import { OID, signatureAlgorithm, verifySignature } from './asn1/algorithms';
import type { SignedData } from './asn1/cms';
import { parseCrl, parseOcspResponse } from './asn1/revocation-data';
import { type Certificate, parseCertificate } from './asn1/x509';
import { issuedBy } from './chain';

export interface EmbeddedCheck {
  /** Things that fail verification: the bytes were changed or produced wrongly. */
  readonly damaged: string[];
  /** Things that cannot be verified with what is at hand. */
  readonly unverifiable: string[];
}

/** Unsigned attributes PAdES signatures may carry (ETSI EN 319 142-1 allows only this one). */
const KNOWN_UNSIGNED = new Set<string>([OID.signatureTimeStamp]);

/**
 * `bound` holds the ids of certificates already bound by the signature itself (the signer
 * certificate named by the signed signing-certificate attribute).
 */
export function checkEmbedded(
  sd: SignedData,
  known: readonly Certificate[],
  kind: string,
  bound: ReadonlySet<string> = new Set(),
): EmbeddedCheck {
  const damaged: string[] = [];
  const unverifiable: string[] = [];
  const certs: Certificate[] = [];
  for (const der of sd.certificates) {
    try {
      certs.push(parseCertificate(der));
    } catch {
      damaged.push(`A certificate embedded in the ${kind} cannot be read.`);
    }
  }
  const pool = [...certs, ...known];
  const signed = (
    tbs: Buffer,
    alg: Parameters<typeof signatureAlgorithm>[0],
    sig: Buffer,
    by: Certificate,
  ) => {
    try {
      return verifySignature(by.publicKey(), signatureAlgorithm(alg), tbs, sig);
    } catch {
      return false;
    }
  };
  for (const c of certs) {
    if (bound.has(c.id)) continue;
    const issuers = pool.filter((p) => p.subject.equals(c.issuer));
    if (issuers.some((p) => issuedBy(c, p))) continue;
    if (issuers.length > 0)
      damaged.push(`The embedded certificate "${c.subjectText}" does not verify against its issuer.`);
    else unverifiable.push(`The embedded certificate "${c.subjectText}" comes without its issuer.`);
  }
  for (const der of sd.crls) {
    try {
      const crl = parseCrl(der);
      const issuers = pool.filter((p) => p.subject.equals(crl.issuer));
      if (issuers.some((p) => signed(crl.tbs, crl.signatureAlgorithm, crl.signature, p))) continue;
      if (issuers.length > 0)
        damaged.push(`A CRL embedded in the ${kind} does not verify against its issuer.`);
      else unverifiable.push(`A CRL embedded in the ${kind} comes without its issuer.`);
    } catch {
      damaged.push(`A CRL embedded in the ${kind} cannot be read.`);
    }
  }
  for (const der of sd.ocsps) {
    try {
      const response = parseOcspResponse(der);
      if (!response) continue;
      const candidates = [...response.certificates.flatMap(tryParse), ...pool];
      const responders = candidates.filter((c) =>
        response.responderName
          ? c.subject.equals(response.responderName)
          : response.responderKeyHash?.equals(createHash('sha1').update(c.publicKeyBits).digest()) === true,
      );
      if (responders.some((r) => signed(response.tbs, response.signatureAlgorithm, response.signature, r)))
        continue;
      if (responders.length > 0) damaged.push(`An OCSP response embedded in the ${kind} does not verify.`);
      else
        unverifiable.push(
          `An OCSP response embedded in the ${kind} comes without its responder certificate.`,
        );
    } catch {
      damaged.push(`An OCSP response embedded in the ${kind} cannot be read.`);
    }
  }
  if (sd.unverifiableEntries > 0) {
    unverifiable.push(
      `The ${kind} holds certificates or revocation data of a kind that is not verified here.`,
    );
  }
  for (const info of sd.signerInfos) {
    for (const type of info.unsignedAttrs.keys()) {
      if (!KNOWN_UNSIGNED.has(type))
        unverifiable.push(`The ${kind} carries an unsigned attribute ${type} that is not verified here.`);
    }
  }
  return { damaged, unverifiable };
}

function tryParse(der: Buffer): Certificate[] {
  try {
    return [parseCertificate(der)];
  } catch {
    return [];
  }
}

export function mergeEmbedded(...checks: (EmbeddedCheck | undefined)[]): EmbeddedCheck {
  return {
    damaged: checks.flatMap((c) => c?.damaged ?? []),
    unverifiable: checks.flatMap((c) => c?.unverifiable ?? []),
  };
}
