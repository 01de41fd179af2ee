/**
 * `verifyPdf`: every signature and document timestamp of a PDF, in file order, checked
 * for intact bytes, cryptography, algorithms, signer binding, chain, validity at the
 * signing time, revocation, timestamp, later changes and PAdES level — one JSON report.
 */
import { PkiError } from '../errors';
import { isWhitespace } from '../pdf/parser';
import type { RevocationSource } from '../providers';
import { OID } from './asn1/algorithms';
import { singleValue } from './asn1/cms';
import { raw } from './asn1/der';
import type { Certificate } from './asn1/x509';
import { type ChainResult, type TrustSet, validateChain } from './chain';
import { type Change, revisionChanges } from './changes';
import { readDss } from './dss';
import { checkEmbedded, type EmbeddedCheck, mergeEmbedded } from './embedded';
import { padesLevel } from './levels';
import { looksLikePdf, PdfFile } from './pdf/file';
import { readForm } from './pdf/forms';
import { certificationOf, isAllowed, permissionsOf } from './permissions';
import type {
  CertificateSummary,
  ChangeReport,
  Check,
  ReasonCode,
  SignatureChecks,
  SignatureReport,
  TimeBasis,
  Verdict,
  VerificationReport,
} from './report';
import {
  adobeArchivalEvidence,
  type CertificateRevocation,
  certificateRevocation,
  collectEvidence,
  type Evidence,
  mergeEvidence,
  type RevocationContext,
} from './revocation';
import { locateSignature, parsePdfDate, type SignatureEntry, textEntry } from './signature-entry';
import { checkSignerInfo, hashOf, type SignerInfoCheck, sha256Of } from './signer-info';
import { checkTimestampToken, type TokenCheck } from './timestamp-token';
import { type TrustAnchors, trustSetOf } from './trust-input';

export interface VerifyOptions {
  /** Trust anchors (DER or PEM). Nothing else is trusted. */
  readonly trust: TrustAnchors;
  /** Where to fetch OCSP/CRL when the document's own evidence does not settle the status. */
  readonly revocation?: RevocationSource;
  /** Set false to use only the evidence in the document (default true: use `revocation` if given). */
  readonly fetchRevocation?: boolean;
  /** "Now" for the report and for signatures with no time at all (default: the current time). */
  readonly validationTime?: Date;
  /** Larger inputs are refused with `pdf_too_large` (default 64 MiB). */
  readonly maxBytes?: number;
  /** When true, a revocation status that cannot be determined makes a signature indeterminate. */
  readonly requireRevocation?: boolean;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** What the later stages need from the cryptographic stage of one signature. */
export interface Evaluated {
  readonly entry: SignatureEntry;
  readonly signer?: SignerInfoCheck;
  /** For document timestamps: the token check of the signature itself. */
  readonly token?: TokenCheck;
  /** For signatures: the signature-time-stamp attribute, if any. */
  readonly signatureTimestamp?: TokenCheck;
  readonly certificate?: Certificate;
  readonly pool: readonly Certificate[];
  readonly evidence: Evidence;
  /** Integrity of the unsigned parts of the CMS (and of its timestamp token). */
  readonly embedded?: EmbeddedCheck;
  chain?: ChainResult;
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

function check(status: Check['status'], message: string): Check {
  return { status, message };
}

export function summarizeCertificate(c: Certificate): CertificateSummary {
  return {
    subject: c.subjectText,
    commonName: c.commonName,
    organization: c.organization,
    issuer: c.issuerText,
    serialNumber: c.serial.toString('hex').toUpperCase(),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    sha256: c.id,
  };
}

export async function verifyPdf(pdf: Uint8Array, options: VerifyOptions): Promise<VerificationReport> {
  if (!(pdf instanceof Uint8Array))
    throw new PkiError('invalid_input', 'The document must be given as bytes.');
  const bytes = Buffer.isBuffer(pdf) ? pdf : Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) {
    throw new PkiError('pdf_too_large', `The PDF is ${bytes.length} bytes; the limit is ${maxBytes} bytes.`);
  }
  if (!looksLikePdf(bytes)) throw new PkiError('not_a_pdf', 'The input is not a PDF file (no %PDF- header).');
  const trust = trustSetOf(options.trust);
  const now = options.validationTime ?? new Date();
  const file = PdfFile.open(bytes);
  const form = readForm(file, file.lastRevision);
  const fileInfo = { size: bytes.length, sha256: sha256Of(bytes), revisions: file.revisions.length };
  const entries = form.fields
    .filter((f) => f.type === 'Sig' && f.value !== undefined && f.value !== null)
    .map((f) => locateSignature(file, f))
    .sort((x, y) => x.rangeEnd - y.rangeEnd || x.offset - y.offset);
  if (entries.length === 0) {
    return { verdict: 'unsigned', file: fileInfo, validationTime: now.toISOString(), signatures: [] };
  }

  const dss = readDss(file, file.lastRevision);
  const revocation: RevocationContext = {
    evidence: dss.evidence,
    source: options.fetchRevocation === false ? undefined : options.revocation,
    fetched: new Map(),
  };
  const evaluated: Evaluated[] = [];
  for (const entry of entries) evaluated.push(await evaluate(entry, trust, dss.certificates, dss.evidence));

  const changesByRevision = new Map<number, Change[]>();
  const changesAfter = (rev: number): Change[] => {
    const out: Change[] = [];
    for (let k = rev + 1; k < file.revisions.length; k++) {
      let list = changesByRevision.get(k);
      if (!list) {
        try {
          list = revisionChanges(file, k);
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          list = [
            { revision: k, kind: 'other', description: `Revision ${k + 1} cannot be analysed: ${why}` },
          ];
        }
        changesByRevision.set(k, list);
      }
      out.push(...list);
    }
    const last = file.revisions[file.lastRevision]!;
    for (let i = last.end; i < bytes.length; i++) {
      if (!isWhitespace(bytes[i])) {
        out.push({
          revision: file.lastRevision + 1,
          kind: 'other',
          description: 'Bytes were appended after the last %%EOF.',
        });
        break;
      }
    }
    return out;
  };

  const certification = certificationOf(file);
  const reports: SignatureReport[] = [];
  for (const [i, ev] of evaluated.entries()) {
    reports.push(
      await report(i, ev, {
        file,
        trust,
        now,
        evaluated,
        revocation,
        certification,
        changesAfter,
        requireRevocation: options.requireRevocation === true,
      }),
    );
  }
  const verdict: Verdict = reports.some((r) => r.verdict === 'invalid')
    ? 'invalid'
    : reports.some((r) => r.verdict === 'indeterminate')
      ? 'indeterminate'
      : 'valid';
  return { verdict, file: fileInfo, validationTime: now.toISOString(), signatures: reports };
}

/** The cryptographic stage: CMS signer info or timestamp token, and the signature timestamp. */
async function evaluate(
  entry: SignatureEntry,
  trust: TrustSet,
  dssCertificates: readonly Certificate[],
  dssEvidence: Evidence,
): Promise<Evaluated> {
  const sd = entry.signedData;
  if (!entry.rangeOk || !sd) return { entry, pool: dssCertificates, evidence: dssEvidence };
  const cmsEvidence = mergeEvidence(
    collectEvidence('cms', sd.ocsps, sd.crls, sd.certificates),
    adobeArchivalEvidence(safeSingle(sd, OID.adbeRevocationInfoArchival)),
  );
  const evidence = mergeEvidence(cmsEvidence, dssEvidence);
  const known = [...dssCertificates, ...trust.anchors];
  if (entry.kind === 'document_timestamp') {
    const token = await checkTimestampToken(entry.cms!, (alg) => entry.digest(alg), trust, dssCertificates);
    const pool = [...(token.signer?.certificates ?? []), ...dssCertificates];
    const embedded = token.signedData
      ? checkEmbedded(token.signedData, known, 'document timestamp', boundBy(token.signer))
      : undefined;
    return {
      entry,
      token,
      signer: token.signer,
      certificate: token.tsa,
      pool,
      evidence,
      chain: token.chain,
      embedded,
    };
  }
  const info = sd.signerInfos[0]!;
  const signer = checkSignerInfo(sd, info, (alg) => entry.digest(alg), dssCertificates);
  const pool = [...signer.certificates, ...dssCertificates];
  let signatureTimestamp: TokenCheck | undefined;
  const tsValues = info.unsignedAttrs.get(OID.signatureTimeStamp);
  if (tsValues && tsValues.length > 0) {
    const tokenDer = raw(tsValues[0]!);
    signatureTimestamp = await checkTimestampToken(
      tokenDer,
      (alg) => hashOf(alg, info.signature),
      trust,
      pool,
    );
  }
  const embedded = mergeEmbedded(
    checkEmbedded(sd, known, 'signature', boundBy(signer)),
    signatureTimestamp?.signedData
      ? checkEmbedded(
          signatureTimestamp.signedData,
          [...signer.certificates, ...known],
          'signature timestamp',
          boundBy(signatureTimestamp.signer),
        )
      : undefined,
  );
  return { entry, signer, signatureTimestamp, certificate: signer.signer, pool, evidence, embedded };
}

/** The signer certificate is bound by the signed signing-certificate attribute when that matched. */
function boundBy(check: SignerInfoCheck | undefined): Set<string> {
  return new Set(check?.essOk && check.signer ? [check.signer.id] : []);
}

function safeSingle(sd: NonNullable<SignatureEntry['signedData']>, type: string) {
  try {
    return singleValue(sd.signerInfos[0]!.signedAttrs, type);
  } catch {
    return undefined;
  }
}

interface ReportContext {
  readonly file: PdfFile;
  readonly trust: TrustSet;
  readonly now: Date;
  readonly evaluated: readonly Evaluated[];
  readonly revocation: RevocationContext;
  readonly certification: ReturnType<typeof certificationOf>;
  readonly changesAfter: (rev: number) => Change[];
  readonly requireRevocation: boolean;
}

async function report(index: number, ev: Evaluated, ctx: ReportContext): Promise<SignatureReport> {
  const { entry } = ev;
  const isTimestamp = entry.kind === 'document_timestamp';
  const reasons = new Set<ReasonCode>();
  const indeterminate = new Set<ReasonCode>();
  const notEvaluated = (why: string) => check('not_applicable', why);

  // --- times ---
  const claimed = isTimestamp ? undefined : parsePdfDate(entry.dict?.get('M'));
  let proven: Date | undefined;
  let basis: TimeBasis;
  if (isTimestamp) {
    proven = ev.token?.intact ? ev.token.genTime : undefined;
  } else if (ev.signatureTimestamp?.trusted) {
    proven = ev.signatureTimestamp.genTime;
  }
  const coveringDocTs =
    isTimestamp || entry.signedRevision === undefined
      ? undefined
      : ctx.evaluated.find(
          (o) =>
            o.entry.kind === 'document_timestamp' &&
            o.token?.trusted &&
            (o.entry.signedRevision ?? -1) >= entry.signedRevision!,
        );
  if (proven) basis = 'signature_timestamp';
  else if (coveringDocTs?.token?.genTime) {
    proven = coveringDocTs.token.genTime;
    basis = 'document_timestamp';
  } else basis = claimed ? 'claimed' : 'validation_time';
  if (isTimestamp) basis = proven ? 'signature_timestamp' : 'validation_time';
  const used = proven ?? claimed ?? ctx.now;
  const timeProven = basis === 'signature_timestamp' || basis === 'document_timestamp';

  // --- bytes, digest, cryptography ---
  const byteRange = check(entry.rangeOk ? 'passed' : 'failed', entry.rangeMessage);
  if (!entry.rangeOk) reasons.add(entry.dict ? 'byte_range_invalid' : 'signature_damaged');
  let digest: Check;
  let cryptography: SignatureChecks['cryptography'];
  let algorithmPolicy: Check;
  let signingCertificate: Check;
  const s = ev.signer;
  if (entry.rangeOk && entry.cmsProblem) {
    reasons.add('signature_damaged');
    digest = check('failed', entry.cmsProblem);
    cryptography = check('failed', entry.cmsProblem);
    algorithmPolicy = notEvaluated('Not evaluated: the signature cannot be read.');
    signingCertificate = notEvaluated('Not evaluated: the signature cannot be read.');
  } else if (!entry.rangeOk || !s) {
    const why = isTimestamp && ev.token ? ev.token.message : 'Not evaluated: the byte range is not valid.';
    if (entry.rangeOk) reasons.add('signature_damaged');
    digest = check(entry.rangeOk ? 'failed' : 'not_applicable', why);
    cryptography = check(entry.rangeOk ? 'failed' : 'not_applicable', why);
    algorithmPolicy = notEvaluated('Not evaluated.');
    signingCertificate = notEvaluated('Not evaluated.');
  } else {
    if (isTimestamp) {
      const t = ev.token!;
      digest = check(
        t.imprintOk ? 'passed' : 'failed',
        t.imprintOk
          ? `The timestamp imprint (${t.tstInfo?.imprintHash}) matches the signed bytes.`
          : 'The timestamp imprint does not match the signed bytes: the document was modified.',
      );
      if (!t.imprintOk) reasons.add('digest_mismatch');
    } else {
      digest = check(s.digestOk ? 'passed' : 'failed', s.digestMessage);
      if (!s.digestOk) reasons.add('digest_mismatch');
      if (entry.signedData?.eContent) {
        digest = check('failed', 'The signature encapsulates content; a PDF signature must be detached.');
        reasons.add('signature_damaged');
      }
    }
    // For a token, its own message digest (over the TSTInfo) is part of its cryptography.
    const tokenDigestBad = isTimestamp && !s.digestOk;
    const cryptoOk = s.signatureOk && !tokenDigestBad;
    cryptography = {
      ...check(
        cryptoOk ? 'passed' : 'failed',
        tokenDigestBad && s.signatureOk ? s.digestMessage : s.signatureMessage,
      ),
      algorithm: s.signatureAlgorithm?.label,
      key: s.keyLabel,
    };
    if (!cryptoOk) reasons.add('signature_invalid');
    const embedded = ev.embedded;
    if (embedded?.damaged.length) {
      cryptography = { ...cryptography, ...check('failed', embedded.damaged[0]!) };
      reasons.add('signature_damaged');
    } else if (cryptoOk && embedded?.unverifiable.length) {
      cryptography = { ...cryptography, ...check('indeterminate', embedded.unverifiable[0]!) };
      indeterminate.add('unverifiable_content');
    }
    algorithmPolicy = s.signatureAlgorithm
      ? check(
          s.policyProblem ? 'failed' : 'passed',
          s.policyProblem ??
            `${s.keyLabel} with ${s.signatureAlgorithm.hash} is allowed by Thông tư 15/2025/TT-BKHCN.`,
        )
      : check('failed', 'The signature algorithm is not supported.');
    if (s.policyProblem || !s.signatureAlgorithm) reasons.add('weak_algorithm');
    const essRequired = isTimestamp || entry.subFilter === 'ETSI.CAdES.detached';
    signingCertificate = s.essOk
      ? check('passed', s.essMessage)
      : essRequired
        ? check('failed', s.essMessage)
        : check(
            'not_applicable',
            `Not required for ${entry.subFilter ?? 'this signature type'}: ${s.essMessage}`,
          );
    if (!s.essOk && essRequired) reasons.add('signing_certificate_mismatch');
  }

  // --- chain, validity at signing time, revocation ---
  const cert = ev.certificate;
  let chainCheck: SignatureChecks['chain'] = {
    ...notEvaluated('Not evaluated: no signer certificate.'),
    path: [],
  };
  let validity: SignatureChecks['certificateValidity'] = notEvaluated(
    'Not evaluated: no signer certificate.',
  );
  let revocationCheck: SignatureChecks['revocation'] = {
    ...notEvaluated('Not evaluated: no signer certificate.'),
    state: 'unknown',
    certificates: [],
  };
  if (cert && s) {
    const chain =
      ev.chain ??
      (await validateChain(cert, ev.pool, ctx.trust, used, isTimestamp ? 'timestamp' : 'document'));
    ev.chain = chain;
    const path = chain.path.map((c) => c.subjectText);
    let chainOk = chain.trusted;
    let chainMessage = chain.message;
    if (isTimestamp && !cert.extendedKeyUsage.includes(OID.ekuTimeStamping)) {
      chainOk = false;
      chainMessage = `"${cert.subjectText}" is not a timestamping certificate.`;
    }
    // Weak algorithms or wrong key usage in the chain are failures; a chain that cannot be
    // judged only because of expiry is reported as expiry, below; the rest is "untrusted".
    const refused = chain.code === 'weak_algorithm' || chain.code === 'certificate_wrong_usage';
    chainCheck = { ...check(chainOk ? 'passed' : refused ? 'failed' : 'indeterminate', chainMessage), path };
    if (!chainOk && refused) reasons.add(chain.code as ReasonCode);
    else if (!chainOk && !chain.disjointValidity) indeterminate.add('untrusted');
    const at = used.toISOString();
    const basisText = BASIS_TEXT[basis];
    const tp = timeProblemAt(chain.path, used);
    if (tp) {
      const c = tp.certificate;
      const what = c.id === cert.id ? 'The signer certificate' : `The certificate "${c.subjectText}"`;
      validity = {
        ...check(
          'failed',
          tp.kind === 'expired'
            ? `${what} had expired (${c.notAfter.toISOString()}) at the signing time ${at} (${basisText}).`
            : `${what} was not yet valid (from ${c.notBefore.toISOString()}) at the signing time ${at} (${basisText}).`,
        ),
        at,
        basis,
      };
      reasons.add(tp.kind === 'expired' ? 'certificate_expired' : 'certificate_not_yet_valid');
    } else {
      validity = {
        ...check('passed', `The certificates were valid at the signing time ${at} (${basisText}).`),
        at,
        basis,
      };
    }
    revocationCheck = await revocationOf(chain, ctx, ev, used, timeProven);
    if (revocationCheck.state === 'revoked') reasons.add('certificate_revoked');
    else if (revocationCheck.state === 'unknown' && ctx.requireRevocation)
      indeterminate.add('revocation_unknown');
  }

  // --- timestamp ---
  let timestamp: SignatureChecks['timestamp'];
  if (isTimestamp) timestamp = notEvaluated('This is itself a document timestamp.');
  else if (!ev.signatureTimestamp) {
    timestamp = notEvaluated(
      coveringDocTs
        ? 'No signature timestamp; a later document timestamp proves the signature existed by then.'
        : 'No signature timestamp: the signing time is only claimed.',
    );
  } else {
    const t = ev.signatureTimestamp;
    // A TSA certificate revoked before the time it vouches for cannot prove that time.
    const tsaRevocation =
      t.trusted && t.chain && t.genTime ? await revocationOf(t.chain, ctx, ev, t.genTime, true) : undefined;
    const tsaRevoked = tsaRevocation?.state === 'revoked';
    timestamp = {
      ...check(
        tsaRevoked ? 'failed' : t.trusted ? 'passed' : t.intact ? 'indeterminate' : 'failed',
        tsaRevoked ? `The TSA certificate is revoked: ${tsaRevocation!.message}` : t.message,
      ),
      time: iso(t.genTime),
      authority: t.tsa?.subjectText,
    };
    if (!t.intact || tsaRevoked) reasons.add('timestamp_invalid');
    else if (!t.trusted) indeterminate.add('untrusted');
  }

  // --- later changes ---
  let modifications: SignatureChecks['modifications'];
  if (entry.signedRevision === undefined) {
    modifications = { ...notEvaluated('Not evaluated: the signed revision is unknown.'), changes: [] };
  } else {
    const perms = permissionsOf(ctx.file, entry.dict, entry.field, ctx.certification);
    const changes: ChangeReport[] = ctx.changesAfter(entry.signedRevision).map((c) => ({
      revision: c.revision + 1,
      object: c.object,
      kind: c.kind,
      field: c.field,
      allowed: isAllowed(c, perms),
      description: c.description,
    }));
    const bad = changes.filter((c) => !c.allowed);
    const message =
      changes.length === 0
        ? 'Nothing was changed after signing.'
        : bad.length === 0
          ? `${changes.length} later change(s), all allowed: ${[...new Set(changes.map((c) => KIND_TEXT[c.kind]))].join(', ')}.`
          : `${bad.length} later change(s) not allowed, e.g.: ${bad[0]!.description}`;
    modifications = { ...check(bad.length === 0 ? 'passed' : 'failed', message), changes };
    if (bad.length > 0) reasons.add('modified');
  }

  const checks: SignatureChecks = {
    byteRange,
    digest,
    cryptography,
    algorithmPolicy,
    signingCertificate,
    chain: chainCheck,
    certificateValidity: validity,
    revocation: revocationCheck,
    timestamp,
    modifications,
  };
  // Unverifiable extras matter only for a signature that is otherwise valid (an untrusted
  // chain, for one, leaves its own certificates unverifiable too).
  if (indeterminate.size > 1 || reasons.size > 0) indeterminate.delete('unverifiable_content');
  const verdict: Verdict = reasons.size > 0 ? 'invalid' : indeterminate.size > 0 ? 'indeterminate' : 'valid';
  const certificationLevel =
    ctx.certification && entry.valueNum === ctx.certification.signatureNum
      ? { permissions: ctx.certification.level }
      : undefined;
  return {
    index: index + 1,
    kind: entry.kind,
    field: entry.field.name,
    subFilter: entry.subFilter,
    certification: certificationLevel,
    signer: cert ? summarizeCertificate(cert) : undefined,
    reason: textEntry(entry.dict, 'Reason'),
    location: textEntry(entry.dict, 'Location'),
    signingTime: { claimed: iso(claimed), proven: iso(proven), used: used.toISOString(), basis },
    signedRevision: entry.signedRevision === undefined ? undefined : entry.signedRevision + 1,
    coversWholeFile: entry.coversWholeFile,
    checks,
    padesLevel:
      isTimestamp || verdict === 'invalid' ? 'none' : padesLevel(ev, ctx.evaluated, ctx.file, ctx.trust),
    verdict,
    reasons: [...reasons, ...indeterminate],
  };
}

function timeProblemAt(path: readonly Certificate[], at: Date): ChainResult['timeProblem'] {
  for (const certificate of path) {
    if (at < certificate.notBefore) return { certificate, kind: 'not_yet_valid' };
    if (at > certificate.notAfter) return { certificate, kind: 'expired' };
  }
  return undefined;
}

const BASIS_TEXT: Record<TimeBasis, string> = {
  signature_timestamp: 'proven by the signature timestamp',
  document_timestamp: 'proven by a later document timestamp',
  claimed: 'claimed by the signer in /M, not proven',
  validation_time: 'no signing time given; checked at the validation time',
};

const KIND_TEXT: Record<Change['kind'], string> = {
  dss: 'validation data (DSS)',
  document_timestamp: 'document timestamp',
  signature: 'later signature',
  form_fill: 'form fill-in',
  annotation: 'annotation',
  metadata: 'metadata',
  other: 'other',
};

async function revocationOf(
  chain: ChainResult,
  ctx: ReportContext,
  ev: Evaluated,
  at: Date,
  timeProven: boolean,
): Promise<SignatureChecks['revocation']> {
  const anchors = new Set(ctx.trust.anchors.map((a) => a.id));
  const rctx: RevocationContext = { ...ctx.revocation, evidence: ev.evidence };
  const results: CertificateRevocation[] = [];
  const path = chain.path;
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    if (anchors.has(cert.id)) break;
    const issuer = path[i + 1];
    if (!issuer) {
      results.push({
        subject: cert.subjectText,
        status: 'unknown',
        message: 'The issuer certificate was not found.',
      });
      break;
    }
    results.push(await certificateRevocation(cert, issuer, at, timeProven, rctx));
  }
  const certificates = results.map((r) => ({
    subject: r.subject,
    status: r.status,
    method: r.method,
    source: r.origin,
    revokedAt: iso(r.revokedAt),
    reason: r.reason,
    message: r.message,
  }));
  const revoked = results.find((r) => r.status === 'revoked');
  if (revoked) {
    return {
      ...check('failed', `"${revoked.subject}": ${revoked.message}`),
      state: 'revoked',
      revokedAt: iso(revoked.revokedAt),
      certificates,
    };
  }
  const unknown = results.find((r) => r.status === 'unknown');
  if (unknown || results.length === 0) {
    return {
      ...check(
        'indeterminate',
        unknown ? `"${unknown.subject}": ${unknown.message}` : 'No certificate to check for revocation.',
      ),
      state: 'unknown',
      certificates,
    };
  }
  const leaf = results[0]!;
  return { ...check('passed', leaf.message), state: 'good', revokedAt: iso(leaf.revokedAt), certificates };
}
