/**
 * Trust store and chain validation. Nothing is trusted by default: anchors are added
 * explicitly (PEM, DER or PKCS#12), intermediates separately (they help build paths but
 * are never trusted by themselves). Our own demo root is an anchor only when configured.
 *
 * validate() builds and checks the path with pkijs's CertificateChainValidationEngine at the
 * validation time (signatures, name chaining, validity of every certificate, CA flags and
 * key usage, policies), then applies what the engine does not: the algorithm policy of
 * Thông tư 15/2025/TT-BKHCN on every certificate, the leaf's usage for the purpose, and
 * revocation *at the validation time* from OCSP or CRL evidence given or fetched (the
 * engine's own revocation check ignores revocation dates and OCSP signatures, so it is
 * not used).
 */
import type * as pkijs from 'pkijs';
import * as pkijsRuntime from 'pkijs';
import {
  certificateDer,
  describeName,
  findExtension,
  isCaCertificate,
  isSelfIssued,
  parseCertificate,
  parseCertificates,
  serialHexOf,
} from '../crypto/certificate';
import { bytesEqual, isPem } from '../crypto/encoding';
import { OID } from '../crypto/oids';
import { checkCertificateAlgorithms } from '../crypto/policy';
import { PkiError, type PkiErrorCode } from '../errors';
import { checkCertificateUsage, type KeyPurpose } from '../keys/certificate-checks';
import { readPkcs12 } from '../keys/pkcs12';
import type { RevocationSource } from '../providers';
import { crlEntryFor, crlProblem, parseCrl } from '../revocation/crl';
import { checkOcspResponse } from '../revocation/ocsp-client';

export type ValidationPurpose = KeyPurpose | 'any';

export interface RevocationOptions {
  /**
   * none: do not check. prefer: check with what is available, pass when nothing is.
   * require: every certificate below the anchor must have OCSP or CRL evidence.
   */
  mode: 'none' | 'prefer' | 'require';
  /** OCSP responses (DER OCSPResponse) to use, e.g. from a PDF's DSS. */
  ocspResponses?: readonly Uint8Array[];
  /** CRLs (DER) to use. */
  crls?: readonly Uint8Array[];
  /** Where to fetch evidence that was not given (in-process CA or HTTP). */
  source?: RevocationSource;
}

export interface ValidateOptions {
  /** Validation time; now unless given (e.g. the proven signing time). */
  at?: Date;
  /** Certificates that came with the object (CMS certificates, DSS) to help build the path. */
  extraCertificates?: readonly Uint8Array[];
  /** What the leaf is used for; 'any' skips the usage check. */
  purpose?: ValidationPurpose;
  revocation?: RevocationOptions;
}

export interface RevocationCheck {
  status: 'good' | 'revoked' | 'unknown' | 'not_checked' | 'not_required';
  source: 'ocsp' | 'crl' | null;
  revocationTime?: string;
  reason?: string;
  detail?: string;
}

export interface ChainElement {
  certificate: Uint8Array;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  trustAnchor: boolean;
  revocation: RevocationCheck;
}

export interface ChainValidationResult {
  status: 'valid' | 'invalid' | 'indeterminate';
  /** Why it is not valid: untrusted, certificate_expired, certificate_revoked, weak_algorithm … */
  code: PkiErrorCode | null;
  reason: string;
  /** Leaf first, trust anchor last; empty when no path was found. */
  path: ChainElement[];
  validatedAt: string;
  /** The revocation data that was used (given or fetched), for embedding (PAdES B-LT). */
  evidence: { ocspResponses: Uint8Array[]; crls: Uint8Array[] };
}

interface Evidence {
  ocsp: Uint8Array[];
  crls: Array<{ der: Uint8Array; crl: pkijs.CertificateRevocationList }>;
}

function element(cert: pkijs.Certificate, trustAnchor: boolean, revocation: RevocationCheck): ChainElement {
  return {
    certificate: certificateDer(cert),
    subject: describeName(cert.subject),
    issuer: describeName(cert.issuer),
    serial: serialHexOf(cert),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
    trustAnchor,
    revocation,
  };
}

function unique(list: Uint8Array[], der: Uint8Array): boolean {
  if (list.some((existing) => bytesEqual(existing, der))) return false;
  list.push(der);
  return true;
}

export class TrustStore {
  readonly #anchors: Uint8Array[] = [];
  readonly #intermediates: Uint8Array[] = [];
  // Parsed once: validation runs per signature and parsing dominates its cost.
  readonly #parsedAnchors: pkijs.Certificate[] = [];
  readonly #parsedIntermediates: pkijs.Certificate[] = [];

  constructor(
    anchors: readonly (Uint8Array | string)[] = [],
    intermediates: readonly (Uint8Array | string)[] = [],
  ) {
    for (const a of anchors) this.addAnchor(a);
    for (const i of intermediates) this.addIntermediate(i);
  }

  anchors(): Uint8Array[] {
    return [...this.#anchors];
  }

  intermediates(): Uint8Array[] {
    return [...this.#intermediates];
  }

  isAnchor(certificate: Uint8Array): boolean {
    const der = certificateDer(parseCertificate(certificate));
    return this.#anchors.some((a) => bytesEqual(a, der));
  }

  /** Adds one CA certificate as a trust anchor; returns false when it was already there. */
  addAnchor(certificate: Uint8Array | string): boolean {
    const cert = parseCertificate(certificate, 'trust anchor');
    if (!isCaCertificate(cert)) {
      throw new PkiError(
        'invalid_input',
        `${describeName(cert.subject)} is not a CA certificate; it cannot be a trust anchor.`,
      );
    }
    checkCertificateAlgorithms(cert, 'trust anchor', { ignoreOwnSignature: isSelfIssued(cert) });
    const added = unique(this.#anchors, certificateDer(cert));
    if (added) this.#parsedAnchors.push(cert);
    return added;
  }

  /** Adds one CA certificate that helps build paths but is not trusted by itself. */
  addIntermediate(certificate: Uint8Array | string): boolean {
    const cert = parseCertificate(certificate, 'intermediate certificate');
    if (!isCaCertificate(cert)) {
      throw new PkiError('invalid_input', `${describeName(cert.subject)} is not a CA certificate.`);
    }
    const added = unique(this.#intermediates, certificateDer(cert));
    if (added) this.#parsedIntermediates.push(cert);
    return added;
  }

  /** Validates the chain of `certificate` at `options.at`. Never throws for a bad chain. */
  async validate(certificate: Uint8Array, options: ValidateOptions = {}): Promise<ChainValidationResult> {
    const at = options.at ?? new Date();
    const evidence: ChainValidationResult['evidence'] = { ocspResponses: [], crls: [] };
    const result = (
      status: ChainValidationResult['status'],
      code: PkiErrorCode | null,
      reason: string,
      path: ChainElement[] = [],
    ): ChainValidationResult => ({ status, code, reason, path, validatedAt: at.toISOString(), evidence });

    let leaf: pkijs.Certificate;
    try {
      leaf = parseCertificate(certificate);
    } catch (error) {
      return result(
        'invalid',
        'invalid_input',
        error instanceof Error ? error.message : 'Unreadable certificate.',
      );
    }
    const who = describeName(leaf.subject);
    if (leaf.notBefore.value > at) {
      return result(
        'invalid',
        'certificate_not_yet_valid',
        `The certificate of ${who} was not yet valid at ${at.toISOString()}.`,
      );
    }
    if (leaf.notAfter.value < at) {
      return result(
        'invalid',
        'certificate_expired',
        `The certificate of ${who} had expired at ${at.toISOString()}.`,
      );
    }
    if (this.#anchors.length === 0) {
      return result(
        'invalid',
        'untrusted',
        'No trust anchor is configured, so no certificate can be trusted.',
      );
    }

    const leafDer = certificateDer(leaf);
    const pool: pkijs.Certificate[] = this.#parsedIntermediates.filter(
      (c) => !bytesEqual(c.tbsView, leaf.tbsView),
    );
    for (const der of options.extraCertificates ?? []) {
      if (bytesEqual(der, leafDer)) continue;
      try {
        pool.push(parseCertificate(der));
      } catch {
        // An unreadable extra certificate cannot help build a path; ignore it.
      }
    }
    const engine = new pkijsRuntime.CertificateChainValidationEngine({
      trustedCerts: [...this.#parsedAnchors],
      certs: [...pool, leaf], // the engine takes the last certificate as the one to validate
      checkDate: at,
    });
    const verdict = await engine.verify();
    if (!verdict.result || !verdict.certificatePath) {
      const message = verdict.resultMessage || 'no path to a trust anchor';
      if (verdict.resultCode === 8) {
        return result(
          'invalid',
          'certificate_expired',
          `A CA certificate in the chain of ${who} is not valid at ${at.toISOString()}.`,
        );
      }
      return result(
        'invalid',
        'untrusted',
        `The certificate of ${who} does not chain to a configured trust anchor (${message}).`,
      );
    }
    const chain = verdict.certificatePath;

    // Algorithm policy on every certificate (the anchor's self-signature proves nothing).
    for (const cert of chain) {
      const anchor = this.#anchors.some((a) => bytesEqual(a, certificateDer(cert)));
      try {
        checkCertificateAlgorithms(cert, `certificate of ${describeName(cert.subject)}`, {
          ignoreOwnSignature: anchor && isSelfIssued(cert),
        });
      } catch (error) {
        if (error instanceof PkiError)
          return result('invalid', error.code, error.message, this.#describe(chain, []));
        throw error;
      }
    }
    const purpose = options.purpose ?? 'document';
    if (purpose !== 'any') {
      try {
        checkCertificateUsage(leaf, purpose);
      } catch (error) {
        if (error instanceof PkiError)
          return result('invalid', error.code, error.message, this.#describe(chain, []));
        throw error;
      }
    }

    const revocation = options.revocation ?? { mode: 'none' };
    const checks: RevocationCheck[] = [];
    if (revocation.mode !== 'none') {
      const given: Evidence = { ocsp: [...(revocation.ocspResponses ?? [])], crls: [] };
      for (const der of revocation.crls ?? []) {
        try {
          given.crls.push({ der, crl: parseCrl(der) });
        } catch {
          // Unreadable CRLs are no evidence.
        }
      }
      for (let index = 0; index < chain.length - 1; index++) {
        const check = await this.#revocationOf(
          chain[index]!,
          chain[index + 1]!,
          at,
          given,
          revocation,
          evidence,
        );
        checks.push(check);
        const subject = describeName(chain[index]!.subject);
        if (check.status === 'revoked') {
          return result(
            'invalid',
            'certificate_revoked',
            `The certificate of ${subject} was revoked on ${check.revocationTime} (${check.reason}).`,
            this.#describe(chain, checks),
          );
        }
        if (check.status !== 'good' && check.status !== 'not_required' && revocation.mode === 'require') {
          return result(
            'indeterminate',
            'revocation_unavailable',
            `No usable OCSP response or CRL was found for the certificate of ${subject}${check.detail ? ` (${check.detail})` : ''}.`,
            this.#describe(chain, checks),
          );
        }
      }
    }
    return result(
      'valid',
      null,
      `The certificate of ${who} chains to a trusted anchor.`,
      this.#describe(chain, checks),
    );
  }

  #describe(chain: pkijs.Certificate[], checks: RevocationCheck[]): ChainElement[] {
    return chain.map((cert, index) =>
      element(
        cert,
        index === chain.length - 1,
        checks[index] ?? {
          status: index === chain.length - 1 ? 'not_required' : 'not_checked',
          source: null,
        },
      ),
    );
  }

  async #revocationOf(
    cert: pkijs.Certificate,
    issuer: pkijs.Certificate,
    at: Date,
    given: Evidence,
    options: RevocationOptions,
    used: ChainValidationResult['evidence'],
  ): Promise<RevocationCheck> {
    // RFC 6960 §4.2.2.2.1: an OCSP responder certificate with ocsp-nocheck is not checked.
    if (findExtension(cert, OID.ocspNoCheck))
      return { status: 'not_required', source: null, detail: 'ocsp-nocheck' };
    const certDer = certificateDer(cert);
    const issuerDer = certificateDer(issuer);
    const problems: string[] = [];

    const fromOcsp = (der: Uint8Array): RevocationCheck | null => {
      try {
        const answer = checkOcspResponse(der, { certificate: certDer, issuer: issuerDer, at });
        if (answer.status === 'unknown') {
          problems.push('the OCSP responder does not know the certificate');
          return null;
        }
        unique(used.ocspResponses, der);
        if (answer.status === 'revoked' && answer.revocationTime && answer.revocationTime <= at) {
          return {
            status: 'revoked',
            source: 'ocsp',
            revocationTime: answer.revocationTime.toISOString(),
            reason: answer.reason ?? 'unspecified',
          };
        }
        return {
          status: 'good',
          source: 'ocsp',
          ...(answer.status === 'revoked'
            ? { detail: `revoked on ${answer.revocationTime?.toISOString()}, after the validation time` }
            : {}),
        };
      } catch (error) {
        problems.push(error instanceof Error ? error.message : 'unreadable OCSP response');
        return null;
      }
    };
    const fromCrl = (der: Uint8Array, crl: pkijs.CertificateRevocationList): RevocationCheck | null => {
      if (!crl.issuer.isEqual(cert.issuer)) return null;
      const problem = crlProblem(crl, issuer, at);
      if (problem) {
        problems.push(problem);
        return null;
      }
      unique(used.crls, der);
      const entry = crlEntryFor(crl, serialHexOf(cert));
      if (entry.revoked && entry.time && entry.time <= at) {
        return {
          status: 'revoked',
          source: 'crl',
          revocationTime: entry.time.toISOString(),
          reason: entry.reason ?? 'unspecified',
        };
      }
      return {
        status: 'good',
        source: 'crl',
        ...(entry.revoked
          ? { detail: `revoked on ${entry.time?.toISOString()}, after the validation time` }
          : {}),
      };
    };

    for (const der of given.ocsp) {
      const check = fromOcsp(der);
      if (check) return check;
    }
    for (const { der, crl } of given.crls) {
      const check = fromCrl(der, crl);
      if (check) return check;
    }
    if (options.source) {
      const ocsp = await options.source.ocsp(certDer, issuerDer).catch(() => null);
      if (ocsp) {
        const check = fromOcsp(ocsp);
        if (check) return check;
      }
      const crls = await options.source.crls(certDer).catch(() => [] as Uint8Array[]);
      for (const der of crls) {
        try {
          const check = fromCrl(der, parseCrl(der));
          if (check) return check;
        } catch {
          problems.push('unreadable CRL');
        }
      }
    }
    return { status: 'unknown', source: null, ...(problems.length ? { detail: problems.join('; ') } : {}) };
  }
}

export interface ImportResult {
  added: string[];
  alreadyPresent: string[];
  skipped: string[];
}

/**
 * Reads the certificates of a PEM bundle, a DER certificate or a PKCS#12 file (passphrase
 * needed). The private key of a PKCS#12 file is never kept.
 */
export function readCertificateFile(bytes: Uint8Array, passphrase?: string): Uint8Array[] {
  if (isPem(bytes)) return parseCertificates(bytes);
  try {
    return [certificateDer(parseCertificate(bytes))];
  } catch {
    if (passphrase === undefined) {
      throw new PkiError(
        'invalid_input',
        'The file is not a certificate; if it is a PKCS#12 file, give its passphrase.',
      );
    }
    return readPkcs12(bytes, passphrase).certificates;
  }
}

/** Adds every CA certificate of `certificates` as anchors or intermediates. */
export function importCertificates(
  store: TrustStore,
  certificates: readonly Uint8Array[],
  kind: 'anchor' | 'intermediate',
): ImportResult {
  const outcome: ImportResult = { added: [], alreadyPresent: [], skipped: [] };
  for (const der of certificates) {
    const cert = parseCertificate(der);
    const name = describeName(cert.subject);
    if (!isCaCertificate(cert)) {
      outcome.skipped.push(`${name} (not a CA certificate)`);
      continue;
    }
    const added = kind === 'anchor' ? store.addAnchor(der) : store.addIntermediate(der);
    (added ? outcome.added : outcome.alreadyPresent).push(name);
  }
  if (outcome.added.length === 0 && outcome.alreadyPresent.length === 0) {
    throw new PkiError('invalid_input', 'The file holds no CA certificate to import.');
  }
  return outcome;
}
