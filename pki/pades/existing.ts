/**
 * Reading the signatures already in a document, so a new signature is never added on top
 * of one that is damaged: each must have a readable /ByteRange inside the file, a /Contents
 * holding a DER CMS, and a digest that still matches its signed bytes.
 */
import { createHash } from 'node:crypto';
import { hashAlgorithmFromOid, NODE_HASHES } from '../cms/algorithms';
import { readElement } from '../cms/der';
import {
  type CmsSignedData,
  messageDigestOf,
  readSignedData,
  readTstInfo,
  type TstInfo,
} from '../cms/reader';
import { PkiError } from '../errors';
import { PdfDict, PdfString } from '../pdf/objects';
import type { PdfReader } from '../pdf/reader';
import type { HashAlgorithm } from '../signer';
import { listFields } from './form';
import type { ByteRange } from './signature-field';

export interface ExistingSignature {
  fieldName: string;
  /** 'Sig' for a signature, 'DocTimeStamp' for a document timestamp. */
  type: string;
  subFilter: string | undefined;
  byteRange: ByteRange;
  /** The /Contents bytes as stored (DER followed by zero padding). */
  contents: Uint8Array;
  /** Just the DER of the CMS, without the padding. */
  cms: Uint8Array;
}

const damaged = (field: string, what: string): PkiError =>
  new PkiError('signature_damaged', `The existing signature "${field}" is damaged: ${what}.`);

/** Signatures and document timestamps in the document, in /Fields order; throws on a damaged one. */
export function existingSignatures(reader: PdfReader): ExistingSignature[] {
  const result: ExistingSignature[] = [];
  for (const field of listFields(reader)) {
    if (field.type !== 'Sig') continue;
    const v = reader.resolve(field.dict.get('V'));
    if (v === null) continue; // an empty signature field
    if (!(v instanceof PdfDict)) throw damaged(field.name, 'its value is not a signature dictionary');
    const contents = v.get('Contents');
    if (!(contents instanceof PdfString)) throw damaged(field.name, 'it has no /Contents');
    const range = reader.array(v.get('ByteRange'));
    if (
      range?.length !== 4 ||
      !range.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0) ||
      range[0] !== 0 ||
      (range[0] as number) + (range[1] as number) > (range[2] as number) ||
      (range[2] as number) + (range[3] as number) > reader.bytes.length
    ) {
      throw damaged(field.name, 'its /ByteRange does not describe the file');
    }
    let cms: Uint8Array;
    try {
      const e = readElement(contents.bytes, 0);
      if (e.tag !== 0x30) throw new Error('not a SEQUENCE');
      cms = contents.bytes.subarray(0, e.end);
    } catch {
      throw damaged(field.name, 'its /Contents is not a CMS signature');
    }
    result.push({
      fieldName: field.name,
      type: v.name('Type') ?? 'Sig',
      subFilter: v.name('SubFilter'),
      byteRange: range as ByteRange,
      contents: contents.bytes,
      cms,
    });
  }
  return result;
}

/**
 * Checks that every existing signature still matches its bytes (messageDigest, or the
 * timestamp imprint for a document timestamp). Cryptographic validity and trust are the
 * verifier's business; this only refuses to sign over a signature already broken.
 */
export function assertExistingSignaturesIntact(reader: PdfReader): ExistingSignature[] {
  const signatures = existingSignatures(reader);
  for (const sig of signatures) {
    const expected = signedDigest(sig);
    if (!expected) continue; // a legacy SubFilter whose digest we do not read (e.g. adbe.pkcs7.sha1)
    const [a, b, c, d] = sig.byteRange;
    const h = createHash(NODE_HASHES[expected.hash]);
    h.update(reader.bytes.subarray(a, a + b));
    h.update(reader.bytes.subarray(c, c + d));
    if (!h.digest().equals(Buffer.from(expected.digest))) {
      throw damaged(sig.fieldName, 'the document bytes it signed were changed');
    }
  }
  return signatures;
}

function signedDigest(sig: ExistingSignature): { hash: HashAlgorithm; digest: Uint8Array } | undefined {
  if (
    sig.subFilter !== 'ETSI.CAdES.detached' &&
    sig.subFilter !== 'adbe.pkcs7.detached' &&
    sig.subFilter !== 'ETSI.RFC3161'
  ) {
    return undefined;
  }
  let signedData: CmsSignedData;
  try {
    signedData = readSignedData(sig.cms);
  } catch {
    throw damaged(sig.fieldName, 'its CMS cannot be parsed');
  }
  if (sig.subFilter === 'ETSI.RFC3161') {
    if (!signedData.eContent) throw damaged(sig.fieldName, 'its timestamp token has no TSTInfo');
    let tst: TstInfo;
    try {
      tst = readTstInfo(signedData.eContent);
    } catch {
      throw damaged(sig.fieldName, 'its timestamp token cannot be parsed');
    }
    const hash = hashAlgorithmFromOid(tst.hashAlgorithm);
    return hash ? { hash, digest: tst.imprint } : undefined;
  }
  const signer = signedData.signerInfos[0];
  const hash = signer ? hashAlgorithmFromOid(signer.digestAlgorithm) : undefined;
  if (!signer || !hash) return undefined;
  const digest = messageDigestOf(signer);
  if (!digest) throw damaged(sig.fieldName, 'it has no message digest');
  return { hash, digest };
}
