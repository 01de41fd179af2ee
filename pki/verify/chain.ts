/**
 * Chain to a trust anchor. The path is built here (issuer name + key identifier + a
 * verified certificate signature), then judged by the trust store's validation (helper A's
 * TrustStore: pkijs's CertificateChainValidationEngine plus the Thông tư 15 algorithm policy
 * on every certificate and the leaf's key usage) or, for a plain list of anchors, by
 * pkijs's engine directly (signatures, CA flags and key usage, name chaining, policies).
 *
 * That verdict depends on the validation time only through validity periods, so it is
 * computed once per (path, purpose, trust set) at a time inside the path's common validity
 * window and cached; whether the certificates were valid at the signing time is answered
 * separately, which also lets the report say "expired" rather than "untrusted". Revocation
 * is not part of it: it is judged with its own time rules in revocation.ts.
 */
import * as pkijs from 'pkijs';
import { signatureAlgorithm, verifySignature } from './asn1/algorithms';
import { type Certificate, parseCertificate, sha256Hex } from './asn1/x509';

/** What a chain is validated for: the leaf's key usage is checked accordingly. */
export type ChainPurpose = 'document' | 'timestamp';

/** The part of helper A's TrustStore (pki/trust/store.ts) that verification uses. */
export interface TrustValidator {
  anchors(): Uint8Array[];
  validate(
    certificate: Uint8Array,
    options: {
      at?: Date;
      extraCertificates?: readonly Uint8Array[];
      purpose?: ChainPurpose;
      revocation?: { mode: 'none' };
    },
  ): Promise<{ status: 'valid' | 'invalid' | 'indeterminate'; code: string | null; reason: string }>;
}

export interface TrustSet {
  readonly id: string;
  readonly anchors: readonly Certificate[];
  readonly validator?: TrustValidator;
}

export interface ChainResult {
  readonly trusted: boolean;
  /** Leaf first; ends with the trust anchor when trusted. */
  readonly path: readonly Certificate[];
  readonly message: string;
  /** The first certificate of the path not valid at the asked time, if any. */
  readonly timeProblem?: { readonly certificate: Certificate; readonly kind: 'expired' | 'not_yet_valid' };
  /** True when the chain could not be judged only because its certificates' validity never overlapped. */
  readonly disjointValidity?: boolean;
  /** Why the trust store refused the chain, when not simply untrusted (e.g. weak_algorithm). */
  readonly code?: string;
}

interface CachedVerdict {
  readonly path: readonly Certificate[];
  readonly trusted: boolean;
  readonly message: string;
  readonly disjointValidity?: boolean;
  readonly code?: string;
}

const MAX_PATH = 10;
const verdicts = new Map<string, CachedVerdict>();
const signatureChecks = new Map<string, boolean>();
const pkijsCerts = new Map<string, pkijs.Certificate>();
const CACHE_LIMIT = 4096;

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}

/** A trust set from DER certificates; its id changes whenever the anchors do. */
export function makeTrustSet(anchors: readonly Uint8Array[], validator?: TrustValidator): TrustSet {
  const certs = anchors.map((a) => parseCertificate(a));
  const ids = [...new Set(certs.map((c) => c.id))].sort();
  const id = sha256Hex(Buffer.from(`${validator ? 'store' : 'list'}:${ids.join(',')}`));
  return validator ? { id, anchors: certs, validator } : { id, anchors: certs };
}

/** True when `issuer` signed `cert` (cached: the same pairs recur in every document). */
export function issuedBy(cert: Certificate, issuer: Certificate): boolean {
  if (!cert.issuer.equals(issuer.subject)) return false;
  if (cert.authorityKeyId && issuer.subjectKeyId && !cert.authorityKeyId.equals(issuer.subjectKeyId))
    return false;
  const key = `${cert.id}:${issuer.id}`;
  const hit = signatureChecks.get(key);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    ok = verifySignature(
      issuer.publicKey(),
      signatureAlgorithm(cert.signatureAlgorithm),
      cert.tbs,
      cert.signature,
    );
  } catch {
    ok = false;
  }
  return remember(signatureChecks, key, ok);
}

/** Builds the shortest-first path from `leaf` to an anchor; returns the longest partial path otherwise. */
function buildPath(leaf: Certificate, pool: readonly Certificate[], trust: TrustSet): Certificate[] {
  const anchorIds = new Set(trust.anchors.map((a) => a.id));
  const path: Certificate[] = [leaf];
  const seen = new Set([leaf.id]);
  let current = leaf;
  while (!anchorIds.has(current.id) && path.length < MAX_PATH) {
    const anchor = trust.anchors.find((a) => issuedBy(current, a));
    if (anchor) {
      path.push(anchor);
      break;
    }
    const next = pool.find((c) => !seen.has(c.id) && issuedBy(current, c));
    if (!next || next.id === current.id) break;
    path.push(next);
    seen.add(next.id);
    current = next;
  }
  return path;
}

function timeProblemAt(path: readonly Certificate[], at: Date): ChainResult['timeProblem'] {
  for (const certificate of path) {
    if (at < certificate.notBefore) return { certificate, kind: 'not_yet_valid' };
    if (at > certificate.notAfter) return { certificate, kind: 'expired' };
  }
  return undefined;
}

function pkijsCertificate(c: Certificate): pkijs.Certificate {
  return pkijsCerts.get(c.id) ?? remember(pkijsCerts, c.id, pkijs.Certificate.fromBER(c.der));
}

async function engineVerdict(
  path: readonly Certificate[],
  trust: TrustSet,
  purpose: ChainPurpose,
): Promise<CachedVerdict> {
  const anchorIds = new Set(trust.anchors.map((a) => a.id));
  const last = path[path.length - 1]!;
  if (!anchorIds.has(last.id)) {
    return {
      path,
      trusted: false,
      message: `The chain ends at "${last.issuerText}", which is not a configured trust anchor.`,
    };
  }
  // A time inside every certificate's validity, so only non-time rules decide here.
  const from = Math.max(...path.map((c) => c.notBefore.getTime()));
  const to = Math.min(...path.map((c) => c.notAfter.getTime()));
  if (from > to) {
    return {
      path,
      trusted: false,
      disjointValidity: true,
      message: 'The chain cannot be validated: its certificates were never valid at the same time.',
    };
  }
  const nonAnchors = path.filter((c) => !anchorIds.has(c.id));
  const checkDate = new Date(from + Math.floor((to - from) / 2));
  if (trust.validator) {
    const leaf = path[0]!;
    const verdict = await trust.validator.validate(leaf.der, {
      at: checkDate,
      extraCertificates: nonAnchors.slice(1).map((c) => c.der),
      purpose,
      revocation: { mode: 'none' },
    });
    if (verdict.status === 'valid') {
      return { path, trusted: true, message: `The chain reaches the trust anchor "${last.subjectText}".` };
    }
    const code = verdict.code && verdict.code !== 'untrusted' ? verdict.code : undefined;
    return code
      ? { path, trusted: false, message: verdict.reason, code }
      : { path, trusted: false, message: verdict.reason };
  }
  try {
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: trust.anchors.map(pkijsCertificate),
      // The engine takes the end-entity certificate last.
      certs: (nonAnchors.length > 0 ? nonAnchors.slice().reverse() : [last]).map(pkijsCertificate),
      checkDate,
    });
    const result = await engine.verify();
    if (result.result) {
      return { path, trusted: true, message: `The chain reaches the trust anchor "${last.subjectText}".` };
    }
    return { path, trusted: false, message: `The chain is not valid: ${result.resultMessage}.` };
  } catch (error) {
    const message =
      error instanceof Error
        ? error.message
        : typeof error === 'object' && error !== null && 'resultMessage' in error
          ? String((error as { resultMessage: unknown }).resultMessage)
          : 'unknown error';
    return { path, trusted: false, message: `The chain is not valid: ${message}.` };
  }
}

/**
 * Validates `leaf` against `trust`, using `pool` (certificates from the signature, the DSS,
 * or the OCSP response) to find intermediates, and reports validity at time `at`.
 */
export async function validateChain(
  leaf: Certificate,
  pool: readonly Certificate[],
  trust: TrustSet,
  at: Date,
  purpose: ChainPurpose = 'document',
): Promise<ChainResult> {
  const path = buildPath(leaf, pool, trust);
  const key = `${trust.id}:${purpose}:${path.map((c) => c.id).join('>')}`;
  let verdict = verdicts.get(key);
  if (!verdict) verdict = remember(verdicts, key, await engineVerdict(path, trust, purpose));
  return { ...verdict, timeProblem: timeProblemAt(path, at) };
}
