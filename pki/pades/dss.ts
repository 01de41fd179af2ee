/**
 * Document Security Store (PAdES B-LT, ETSI EN 319 142-1 §5.4.2 and ISO 32000-2 §12.8.4.3):
 * after a signature, an incremental update adds the certificates, OCSP responses and CRLs
 * needed to validate it — for the signer's chain and for the TSA of its timestamp — plus a
 * VRI entry keyed by the SHA-1 of the signature's /Contents. An existing DSS is extended,
 * never rewritten: old entries keep their object numbers, so earlier validation material
 * and pyHanko's difference analysis stay happy.
 */
import { createHash, X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { CMS_OID } from '../cms/algorithms';
import { type CmsSignedData, readSignedData } from '../cms/reader';
import { readTimestampToken } from '../cms/timestamp';
import { PkiError } from '../errors';
import { decodeStream } from '../pdf/filters';
import { IncrementalWriter } from '../pdf/incremental';
import { dict, name, PdfDict, PdfRef, PdfStream, type PdfValue } from '../pdf/objects';
import { PdfReader } from '../pdf/reader';
import type { RevocationSource } from '../providers';
import { existingSignatures } from './existing';

export interface ValidationDataOptions {
  /** The signature field whose validation data to add. */
  fieldName: string;
  revocationSource: RevocationSource;
  /**
   * More certificates for the DSS, typically the trust anchors (roots) of the signer's and
   * the TSA's chains; a missing issuer is otherwise fetched from the certificate's AIA URL.
   */
  certificates?: readonly Uint8Array[];
  maxBytes?: number;
}

const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';

interface Material {
  certs: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
}

export async function addValidationData(
  pdf: Uint8Array,
  options: ValidationDataOptions,
): Promise<Uint8Array> {
  const reader = PdfReader.open(pdf, { maxBytes: options.maxBytes });
  const signature = existingSignatures(reader).find((s) => s.fieldName === options.fieldName);
  if (!signature) throw new PkiError('not_found', `The PDF has no signature named "${options.fieldName}".`);
  const material = await collectValidationMaterial(
    signature.cms,
    options.revocationSource,
    options.certificates,
  );
  const vriKey = createHash('sha1').update(signature.contents).digest('hex').toUpperCase();
  return writeDss(reader, material, vriKey);
}

/** Certificates of a CMS signature and its timestamp, with revocation data for each that needs it. */
export async function collectValidationMaterial(
  cms: Uint8Array,
  revocation: RevocationSource,
  extraCertificates: readonly Uint8Array[] = [],
): Promise<Material> {
  const { certificates, timestampCertificates } = cmsCertificates(cms);
  const known = dedupe([...certificates, ...timestampCertificates]).map((der) => ({
    der,
    cert: new X509Certificate(der),
  }));
  const extra = extraCertificates.map((der) => ({ der, cert: new X509Certificate(der) }));
  const issuerOf = (cert: X509Certificate): { der: Uint8Array; cert: X509Certificate } | undefined =>
    [...known, ...extra].find(
      (c) => c.cert !== cert && cert.checkIssued(c.cert) && cert.verify(c.cert.publicKey),
    );

  // Complete every path up to a self-signed root: validators need the anchor's certificate
  // in the DSS to judge the revocation data it signed (pyHanko's AdES LTA check insists).
  for (let i = 0; i < known.length; i++) {
    const { cert } = known[i]!;
    if (isSelfSigned(cert)) continue;
    let issuer = issuerOf(cert);
    if (!issuer) issuer = await fetchIssuer(cert);
    if (!issuer) {
      throw new PkiError(
        'revocation_unavailable',
        `The issuer certificate of "${commonName(cert)}" is not available, so its path cannot be stored for long-term validation.`,
      );
    }
    if (!known.some((k) => k.der === issuer.der || Buffer.from(k.der).equals(Buffer.from(issuer.der)))) {
      known.push(issuer);
    }
  }

  const material: Material = { certs: known.map((k) => k.der), ocsps: [], crls: [] };
  for (const { der, cert } of known) {
    if (isSelfSigned(cert) || hasOcspNoCheck(der)) continue;
    const issuer = issuerOf(cert);
    let ocsp: Uint8Array | null = null;
    let crls: Uint8Array[] = [];
    try {
      if (issuer) ocsp = await revocation.ocsp(der, issuer.der);
      crls = await revocation.crls(der);
    } catch (error) {
      if (error instanceof PkiError && error.code === 'revocation_unavailable') throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new PkiError(
        'revocation_unavailable',
        `Revocation data for "${commonName(cert)}" could not be fetched: ${why}`,
        { cause: error },
      );
    }
    if (!ocsp && crls.length === 0) {
      throw new PkiError(
        'revocation_unavailable',
        `No OCSP response or CRL is available for the certificate "${commonName(cert)}".`,
      );
    }
    if (ocsp) {
      material.ocsps.push(ocsp);
      material.certs.push(...ocspCertificates(ocsp));
    }
    material.crls.push(...crls);
  }
  return { certs: dedupe(material.certs), ocsps: dedupe(material.ocsps), crls: dedupe(material.crls) };
}

/** The issuer certificate from the certificate's AIA caIssuers URL (DER or PEM), if it answers. */
async function fetchIssuer(
  cert: X509Certificate,
): Promise<{ der: Uint8Array; cert: X509Certificate } | undefined> {
  const urls = (cert.infoAccess ?? '')
    .split('\n')
    .filter((line) => line.startsWith('CA Issuers - URI:'))
    .map((line) => line.slice('CA Issuers - URI:'.length).trim())
    .filter((url) => /^https?:\/\//.test(url));
  for (const url of urls) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) continue;
      const body = new Uint8Array(await response.arrayBuffer());
      const candidate = new X509Certificate(body);
      if (cert.checkIssued(candidate) && cert.verify(candidate.publicKey)) {
        return { der: new Uint8Array(candidate.raw), cert: candidate };
      }
    } catch {
      // Try the next URL; no issuer at all is reported by the caller.
    }
  }
  return undefined;
}

function cmsCertificates(cms: Uint8Array): {
  certificates: Uint8Array[];
  timestampCertificates: Uint8Array[];
} {
  let signedData: CmsSignedData;
  try {
    signedData = readSignedData(cms);
  } catch (error) {
    throw new PkiError('signature_damaged', 'The signature to extend cannot be parsed.', { cause: error });
  }
  const timestampCertificates: Uint8Array[] = [];
  for (const signer of signedData.signerInfos) {
    for (const attr of signer.unsignedAttributes) {
      if (attr.type !== CMS_OID.signatureTimeStampToken) continue;
      for (const token of attr.values) timestampCertificates.push(...readTimestampToken(token).certificates);
    }
  }
  return { certificates: signedData.certificates, timestampCertificates };
}

function ocspCertificates(response: Uint8Array): Uint8Array[] {
  try {
    const ocsp = pkijs.OCSPResponse.fromBER(response);
    if (!ocsp.responseBytes) return [];
    const basic = pkijs.BasicOCSPResponse.fromBER(ocsp.responseBytes.response.getValue());
    return (basic.certs ?? []).map((c) => new Uint8Array(c.toSchema().toBER(false)));
  } catch (error) {
    throw new PkiError('revocation_unavailable', 'The OCSP response cannot be read.', { cause: error });
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

function hasOcspNoCheck(der: Uint8Array): boolean {
  try {
    return (pkijs.Certificate.fromBER(der).extensions ?? []).some((e) => e.extnID === OCSP_NOCHECK);
  } catch {
    return false;
  }
}

function commonName(cert: X509Certificate): string {
  const cn = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : cert.subject.replace(/\n/g, ', ');
}

function dedupe(items: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = createHash('sha256').update(item).digest('hex');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Writes the extended DSS in an incremental update. */
function writeDss(reader: PdfReader, material: Material, vriKey: string): Uint8Array {
  const writer = new IncrementalWriter(reader);
  const catalog = reader.catalog();
  const rawDss = catalog.get('DSS');
  const oldDss = reader.dict(rawDss);
  const dss = oldDss ? oldDss.clone() : dict({ Type: name('DSS') });

  // Existing streams by content, so data already stored is referenced, not duplicated.
  const known = new Map<string, PdfRef>();
  const extend = (key: string, items: Uint8Array[]): PdfRef[] => {
    const old = reader.array(dss.get(key)) ?? [];
    for (const entry of old) {
      const s = reader.resolve(entry);
      if (entry instanceof PdfRef && s instanceof PdfStream) known.set(streamKey(reader, s), entry);
    }
    const refs: PdfRef[] = [];
    const merged: PdfValue[] = [...old];
    for (const item of items) {
      const k = createHash('sha256').update(item).digest('hex');
      let ref = known.get(k);
      if (!ref) {
        ref = writer.add(new PdfStream(new PdfDict(), item));
        known.set(k, ref);
        merged.push(ref);
      } else if (!old.some((o) => o instanceof PdfRef && o.equals(ref))) merged.push(ref);
      refs.push(ref);
    }
    if (merged.length > 0) dss.set(key, merged);
    return refs;
  };
  const certs = extend('Certs', material.certs);
  const ocsps = extend('OCSPs', material.ocsps);
  const crls = extend('CRLs', material.crls);

  const oldVri = reader.dict(dss.get('VRI'));
  const vri = oldVri ? oldVri.clone() : new PdfDict();
  vri.set(
    vriKey,
    dict({
      Cert: certs,
      OCSP: ocsps.length > 0 ? ocsps : undefined,
      CRL: crls.length > 0 ? crls : undefined,
    }),
  );
  const rawVri = dss.get('VRI');
  if (rawVri instanceof PdfRef && oldVri) writer.set(rawVri, vri);
  else dss.set('VRI', vri);

  if (rawDss instanceof PdfRef && oldDss) writer.set(rawDss, dss);
  else writer.set(reader.catalogRef, catalog.clone().set('DSS', writer.add(dss)));
  return writer.write().bytes;
}

function streamKey(reader: PdfReader, stream: PdfStream): string {
  // DSS streams may be compressed by other writers; compare decoded content when we can.
  let data = stream.data;
  if (stream.dict.has('Filter')) {
    try {
      data = decodeStream(stream, (v) => reader.resolve(v));
    } catch {
      // Unknown filter: compare raw bytes, at worst storing a duplicate.
    }
  }
  return createHash('sha256').update(data).digest('hex');
}
