/**
 * The PAdES baseline level a signature reaches (ETSI EN 319 142-1 §6, validated in the
 * spirit of EN 319 102-1):
 * - B-B: ETSI.CAdES.detached, intact, signature verifies, signing-certificate(-v2) binds the signer;
 * - B-T: plus a verified timestamp over it (signature timestamp, or a later document timestamp);
 * - B-LT: plus a DSS that holds, for every certificate of the signer's and the TSA's chains
 *   (anchors excepted), the certificate and signed revocation data;
 * - B-LTA: plus a verified document timestamp covering the revision that completed that DSS.
 */
import type { Certificate } from './asn1/x509';
import { type TrustSet } from './chain';
import { readDss } from './dss';
import type { PdfFile } from './pdf/file';
import type { PadesLevel } from './report';
import { hasRevocationEvidence, mergeEvidence } from './revocation';
import type { Evaluated } from './verify-pdf';

export function padesLevel(
  ev: Evaluated,
  all: readonly Evaluated[],
  file: PdfFile,
  trust: TrustSet,
): PadesLevel {
  const { entry, signer } = ev;
  if (entry.kind !== 'signature' || entry.subFilter !== 'ETSI.CAdES.detached') return 'none';
  if (!entry.rangeOk || !signer?.digestOk || !signer.signatureOk || !signer.essOk) return 'none';
  const rev = entry.signedRevision!;
  const docTimestamps = all.filter(
    (o) => o.entry.kind === 'document_timestamp' && o.token?.intact && (o.entry.signedRevision ?? -1) >= rev,
  );
  const tsaChain = ev.signatureTimestamp?.intact ? ev.signatureTimestamp.chain : docTimestamps[0]?.chain;
  if (!ev.signatureTimestamp?.intact && docTimestamps.length === 0) return 'B-B';
  const signerPath = ev.chain?.trusted ? ev.chain.path : undefined;
  if (!signerPath || !tsaChain?.trusted) return 'B-T';
  const anchors = new Set(trust.anchors.map((a) => a.id));
  const cmsCerts = new Set([
    ...(signer.certificates ?? []).map((c) => c.id),
    ...(ev.signatureTimestamp?.signer?.certificates ?? []).map((c) => c.id),
    ...(docTimestamps[0]?.signer?.certificates ?? []).map((c) => c.id),
  ]);
  const needs = (path: readonly Certificate[]) =>
    path.flatMap((c, i) => (anchors.has(c.id) || !path[i + 1] ? [] : [{ cert: c, issuer: path[i + 1]! }]));
  const required = [...needs(signerPath), ...needs(tsaChain.path)];
  let seenKey = '';
  for (let r = rev; r < file.revisions.length; r++) {
    const dss = readDss(file, r);
    if (dss.key === 'none' || dss.key === seenKey) continue;
    seenKey = dss.key;
    const dssCerts = new Set(dss.certificates.map((c) => c.id));
    const evidence = mergeEvidence(dss.evidence);
    const complete = required.every(
      ({ cert, issuer }) =>
        (dssCerts.has(cert.id) || cmsCerts.has(cert.id)) && hasRevocationEvidence(cert, issuer, evidence),
    );
    if (!complete) continue;
    const archived = all.some(
      (o) =>
        o.entry.kind === 'document_timestamp' &&
        o.token?.intact &&
        o.token.trusted &&
        (o.entry.signedRevision ?? -1) >= r,
    );
    return archived ? 'B-LTA' : 'B-LT';
  }
  return 'B-T';
}
