/**
 * Checks one CMS SignerInfo: the content digest against messageDigest, the signature over
 * the signed attributes with the signer's key, the algorithms against Thông tư
 * 15/2025/TT-BKHCN, and the ESS signing-certificate(-v2) binding to the signer certificate.
 * Shared by PDF signatures and RFC 3161 timestamp tokens.
 */
import { createHash } from 'node:crypto';
import {
  type DigestName,
  describeKey,
  digestAlgorithm,
  nodeHash,
  OID,
  policyProblem,
  type SignatureAlgorithm,
  signatureAlgorithm,
  verifySignature,
} from './asn1/algorithms';
import { type SignedData, type SignerInfo, singleValue } from './asn1/cms';
import { children, expect, integerBytes, isContext, octets, oid, raw, TAG, time } from './asn1/der';
import { type Certificate, parseCertificate } from './asn1/x509';

export interface SignerInfoCheck {
  readonly signer?: Certificate;
  /** Every certificate the SignedData carries that could be parsed. */
  readonly certificates: Certificate[];
  readonly digestAlgorithm?: DigestName;
  readonly digestOk: boolean;
  readonly digestMessage: string;
  readonly signatureAlgorithm?: SignatureAlgorithm;
  readonly keyLabel?: string;
  readonly signatureOk: boolean;
  readonly signatureMessage: string;
  /** Undefined when the algorithms are allowed; otherwise why not. */
  readonly policyProblem?: string;
  readonly essOk: boolean;
  readonly essMessage: string;
  readonly essVersion?: 'v1' | 'v2';
  /** A signing-time signed attribute, if present (PAdES puts the claimed time in /M instead). */
  readonly signingTimeAttribute?: Date;
}

export function hashOf(alg: DigestName, ...parts: Uint8Array[]): Buffer {
  const h = createHash(nodeHash(alg));
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function parseCertificates(ders: readonly Buffer[]): Certificate[] {
  const out: Certificate[] = [];
  for (const der of ders) {
    try {
      out.push(parseCertificate(der));
    } catch {
      // An unreadable extra certificate is ignored; a missing signer certificate is reported.
    }
  }
  return out;
}

export function findSigner(info: SignerInfo, certificates: readonly Certificate[]): Certificate | undefined {
  const { issuer, serial, subjectKeyId } = info.sid;
  return certificates.find((c) =>
    subjectKeyId
      ? c.subjectKeyId?.equals(subjectKeyId) === true
      : serial !== undefined && issuer !== undefined && c.serial.equals(serial) && c.issuer.equals(issuer),
  );
}

/**
 * `contentDigest(alg)` returns the digest of the signed content (the PDF byte ranges, or a
 * token's TSTInfo) with the SignerInfo's digest algorithm.
 */
export function checkSignerInfo(
  sd: SignedData,
  info: SignerInfo,
  contentDigest: (alg: DigestName) => Buffer,
  extraCertificates: readonly Certificate[] = [],
): SignerInfoCheck {
  const certificates = parseCertificates(sd.certificates);
  const signer = findSigner(info, certificates) ?? findSigner(info, extraCertificates);
  const digestAlg = digestAlgorithm(info.digestAlgorithm);
  const base = { signer, certificates, digestAlgorithm: digestAlg };
  const fail = (digestMessage: string, signatureMessage: string): SignerInfoCheck => ({
    ...base,
    digestOk: false,
    digestMessage,
    signatureOk: false,
    signatureMessage,
    essOk: false,
    essMessage: 'Not checked: the signature cannot be evaluated.',
  });
  if (!digestAlg) return fail('The digest algorithm is not supported.', 'Not checked.');
  if (!info.signedAttrsDer) {
    return fail('The signature has no signed attributes, as PAdES requires.', 'Not checked.');
  }
  let digestOk = false;
  let digestMessage: string;
  const contentType = singleValue(info.signedAttrs, OID.contentType);
  const md = singleValue(info.signedAttrs, OID.messageDigest);
  if (!contentType || oid(contentType) !== sd.eContentType) {
    digestMessage = 'The content-type attribute is missing or does not match the signed content.';
  } else if (!md) {
    digestMessage = 'The message-digest attribute is missing.';
  } else if (octets(md).equals(contentDigest(digestAlg))) {
    digestOk = true;
    digestMessage = `The ${digestAlg} digest of the signed bytes matches the signed message digest.`;
  } else {
    digestMessage = `The ${digestAlg} digest of the signed bytes does not match: the document was modified.`;
  }
  let sigAlg: SignatureAlgorithm | undefined;
  let signatureOk = false;
  let signatureMessage: string;
  let keyLabel: string | undefined;
  let problem: string | undefined;
  try {
    sigAlg = signatureAlgorithm(info.signatureAlgorithm, digestAlg);
  } catch (error) {
    signatureMessage = error instanceof Error ? error.message : 'The signature algorithm is not supported.';
  }
  if (!signer) {
    signatureMessage = 'The signer certificate is not in the signature.';
  } else if (sigAlg) {
    const key = signer.publicKey();
    keyLabel = describeKey(key).label;
    signatureOk = verifySignature(key, sigAlg, info.signedAttrsDer, info.signature);
    signatureMessage = signatureOk
      ? `The ${sigAlg.label} signature verifies with the signer's ${keyLabel} key.`
      : `The ${sigAlg.label} signature does not verify with the signer's key.`;
    problem = policyProblem(sigAlg, key);
    if (!problem && digestAlg !== 'SHA-256' && digestAlg !== 'SHA-384' && digestAlg !== 'SHA-512') {
      problem = `${digestAlg} message digest is below the SHA-256 minimum of Thông tư 15/2025/TT-BKHCN.`;
    }
  } else signatureMessage ??= 'The signature algorithm is not supported.';
  const ess = signer ? checkEss(info, signer) : { ok: false, message: 'No signer certificate to compare.' };
  const st = info.signedAttrs.get(OID.signingTime)?.[0];
  let signingTimeAttribute: Date | undefined;
  try {
    signingTimeAttribute = st ? time(st) : undefined;
  } catch {
    signingTimeAttribute = undefined;
  }
  return {
    ...base,
    digestOk,
    digestMessage,
    signatureAlgorithm: sigAlg,
    keyLabel,
    signatureOk,
    signatureMessage,
    policyProblem: problem,
    essOk: ess.ok,
    essMessage: ess.message,
    essVersion: ess.version,
    signingTimeAttribute,
  };
}

/** ESS signing-certificate-v2 (RFC 5035) or v1 (RFC 2634): the first ESSCertID names the signer. */
function checkEss(
  info: SignerInfo,
  signer: Certificate,
): { ok: boolean; message: string; version?: 'v1' | 'v2' } {
  const v2 = singleValue(info.signedAttrs, OID.signingCertificateV2);
  const v1 = v2 ? undefined : singleValue(info.signedAttrs, OID.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) return { ok: false, message: 'The signing-certificate-v2 attribute is missing.' };
  const version = v2 ? 'v2' : 'v1';
  const [certs] = children(expect(attr, TAG.SEQUENCE, 'Signing certificate attribute'));
  const first = children(expect(certs, TAG.SEQUENCE, 'Signing certificate list'))[0];
  if (!first)
    return { ok: false, message: 'The signing-certificate attribute names no certificate.', version };
  const parts = children(expect(first, TAG.SEQUENCE, 'ESS certificate id'));
  let i = 0;
  let alg: DigestName | undefined = v2 ? 'SHA-256' : 'SHA-1';
  if (v2 && parts[0]?.tag === TAG.SEQUENCE) alg = digestAlgorithm(parts[i++]!);
  const certHash = octets(expect(parts[i++], TAG.OCTET_STRING, 'ESS certificate hash'));
  if (!alg)
    return { ok: false, message: 'The signing-certificate hash algorithm is not supported.', version };
  if (!hashOf(alg, signer.der).equals(certHash)) {
    return {
      ok: false,
      message: 'The signing-certificate attribute names a different certificate.',
      version,
    };
  }
  const issuerSerial = parts[i];
  if (issuerSerial?.tag === TAG.SEQUENCE) {
    const [names, serial] = children(issuerSerial);
    const directoryName = names ? children(names).find((n) => isContext(n, 4)) : undefined;
    const issuerMatches = directoryName ? raw(children(directoryName)[0]!).equals(signer.issuer) : true;
    if (!serial || !integerBytes(serial).equals(signer.serial) || !issuerMatches) {
      return {
        ok: false,
        message: 'The signing-certificate issuer and serial do not match the signer.',
        version,
      };
    }
  }
  return {
    ok: true,
    message: `The signing-certificate${v2 ? '-v2' : ''} attribute matches the signer certificate (${alg}).`,
    version,
  };
}
