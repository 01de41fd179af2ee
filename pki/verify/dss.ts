/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4): validation
 * material added after signing. Read per revision, because the PAdES level depends on
 * *when* the material arrived relative to the archive timestamp.
 */
import { decodeStream } from '../pdf/filters';
import { PdfRef, PdfStream, type PdfValue } from '../pdf/objects';
import type { Certificate } from './asn1/x509';
import type { PdfFile } from './pdf/file';
import { collectEvidence, type Evidence } from './revocation';

export interface DssContent {
  readonly certificates: readonly Certificate[];
  readonly evidence: Evidence;
  /** Identity of the DSS as read (object number and offset), to reuse work across revisions. */
  readonly key: string;
}

const EMPTY: DssContent = {
  certificates: [],
  evidence: { ocsps: [], crls: [], certificates: [] },
  key: 'none',
};

export function readDss(file: PdfFile, rev: number): DssContent {
  let dssValue: PdfValue | undefined;
  try {
    dssValue = file.catalog(rev).get('DSS');
  } catch {
    return EMPTY;
  }
  const dss = file.dict(dssValue, rev);
  if (!dss) return EMPTY;
  const certs: Buffer[] = [];
  const ocsps: Buffer[] = [];
  const crls: Buffer[] = [];
  const seen = new Set<string>();
  // The same stream is often listed both at the top level and in a VRI entry.
  const streams = (v: PdfValue | undefined, out: Buffer[], tag: string) => {
    const list = file.resolve(v, rev);
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (item instanceof PdfRef) {
        if (seen.has(`${tag}${item.num}`)) continue;
        seen.add(`${tag}${item.num}`);
      }
      try {
        const s = file.resolve(item, rev);
        if (s instanceof PdfStream) out.push(decodeStream(s));
      } catch {
        // An unreadable entry proves nothing and is skipped.
      }
    }
  };
  streams(dss.get('Certs'), certs, 'c');
  streams(dss.get('OCSPs'), ocsps, 'o');
  streams(dss.get('CRLs'), crls, 'r');
  const vri = file.dict(dss.get('VRI'), rev);
  if (vri) {
    for (const entry of vri.entries.values()) {
      const e = file.dict(entry, rev);
      if (!e) continue;
      streams(e.get('Cert'), certs, 'c');
      streams(e.get('OCSP'), ocsps, 'o');
      streams(e.get('CRL'), crls, 'r');
    }
  }
  const evidence = collectEvidence('dss', ocsps, crls, certs);
  const key =
    dssValue instanceof PdfRef
      ? `${dssValue.num}@${file.object(dssValue.num, rev)?.offset}`
      : `direct@${rev}`;
  return { certificates: evidence.certificates, evidence, key };
}
