/**
 * One signature of the document as found in its form: the signature dictionary, where its
 * /Contents sits in the file, and whether its /ByteRange covers exactly everything of its
 * revision but that hex string. The CMS inside is parsed here, strictly: after the DER
 * value only zero padding may follow, and the hex must be plain (no spaces, one letter
 * case), so no byte of the unsigned hole can change without the verdict changing.
 */
import { PdfDict, PdfRef, PdfString } from '../pdf/objects';
import type { DigestName } from './asn1/algorithms';
import { parseSignedData, type SignedData } from './asn1/cms';
import type { PdfFile } from './pdf/file';
import type { FormField } from './pdf/forms';
import { hashOf } from './signer-info';

export interface SignatureEntry {
  readonly field: FormField;
  readonly dict?: PdfDict;
  /** Object number of the signature dictionary (when indirect, as it should be). */
  readonly valueNum?: number;
  readonly kind: 'signature' | 'document_timestamp';
  readonly subFilter?: string;
  /** Byte offset of the object holding the dictionary (for file order). */
  readonly offset: number;
  readonly rangeOk: boolean;
  readonly rangeMessage: string;
  /** Index of the revision the byte range ends with. */
  readonly signedRevision?: number;
  readonly coversWholeFile: boolean;
  /** End of the signed bytes (c + d of the ByteRange), for ordering. */
  readonly rangeEnd: number;
  readonly cms?: Buffer;
  readonly signedData?: SignedData;
  readonly cmsProblem?: string;
  /** Digest of the signed byte ranges (memoised per algorithm). */
  digest(alg: DigestName): Buffer;
}

export function locateSignature(file: PdfFile, field: FormField): SignatureEntry {
  const bytes = file.bytes;
  const v = field.value;
  let dict: PdfDict | undefined;
  let offset = -1;
  let valueNum: number | undefined;
  const base = {
    field,
    kind: 'signature' as const,
    rangeOk: false,
    coversWholeFile: false,
    rangeEnd: Number.MAX_SAFE_INTEGER,
    digest: (): Buffer => Buffer.alloc(0),
  };
  try {
    if (v instanceof PdfRef) {
      valueNum = v.num;
      const obj = file.object(v.num);
      offset = obj?.offset ?? -1;
      dict = obj?.value instanceof PdfDict ? obj.value : undefined;
    } else if (v instanceof PdfDict) {
      dict = v;
      offset = field.ref ? (file.object(field.ref.num)?.offset ?? -1) : -1;
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ...base, offset, valueNum, rangeMessage: `The signature dictionary cannot be read: ${why}` };
  }
  if (!dict)
    return {
      ...base,
      offset,
      valueNum,
      rangeMessage: 'The signature field has no readable signature dictionary.',
    };
  const subFilter = dict.name('SubFilter');
  const kind: SignatureEntry['kind'] =
    dict.name('Type') === 'DocTimeStamp' || subFilter === 'ETSI.RFC3161' ? 'document_timestamp' : 'signature';
  const fail = (rangeMessage: string, extra: Partial<SignatureEntry> = {}): SignatureEntry => ({
    ...base,
    dict,
    valueNum,
    kind,
    subFilter,
    offset,
    rangeMessage,
    ...extra,
  });

  const br = dict.get('ByteRange');
  const contents = dict.get('Contents');
  if (
    !Array.isArray(br) ||
    br.length !== 4 ||
    !br.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)
  ) {
    return fail('The /ByteRange is not four non-negative integers.');
  }
  const [a, b, c, d] = br as [number, number, number, number];
  if (!(contents instanceof PdfString) || !contents.hex) return fail('The /Contents is not a hex string.');
  if (offset < 0)
    return fail('The signature dictionary is inside an object stream, so its byte range cannot be checked.');
  const end = c + d;
  if (a !== 0) return fail('The byte range does not start at the beginning of the file.');
  if (b !== contents.start || c !== contents.end) {
    return fail("The byte range does not leave out exactly this signature's /Contents.", { rangeEnd: end });
  }
  if (end > bytes.length) return fail('The byte range reaches past the end of the file.', { rangeEnd: end });
  const revision = file.revisions.find((r) => r.end === end || r.eofEnd === end);
  if (!revision) {
    return fail('The byte range does not end at the end of a revision (%%EOF).', { rangeEnd: end });
  }
  // The hole must be plain hex: letters of one case and no whitespace, else a byte could change unseen.
  const hex = bytes.toString('latin1', b + 1, c - 1);
  if (!/^[0-9A-Fa-f]*$/.test(hex)) {
    return fail('The /Contents hex string holds other characters than hex digits.', { rangeEnd: end });
  }
  if (/[a-f]/.test(hex) && /[A-F]/.test(hex)) {
    return fail('The /Contents hex string mixes upper- and lower-case digits.', { rangeEnd: end });
  }

  const memo = new Map<DigestName, Buffer>();
  const digest = (alg: DigestName): Buffer => {
    let h = memo.get(alg);
    if (!h) {
      h = hashOf(alg, bytes.subarray(0, b), bytes.subarray(c, end));
      memo.set(alg, h);
    }
    return h;
  };
  const coversWholeFile = end === bytes.length;
  const ok: SignatureEntry = {
    ...base,
    dict,
    valueNum,
    kind,
    subFilter,
    offset,
    rangeOk: true,
    rangeMessage: coversWholeFile
      ? 'The byte range covers the whole file except the signature value.'
      : `The byte range covers revision ${revision.index + 1} of ${file.revisions.length} entirely, except the signature value.`,
    signedRevision: revision.index,
    coversWholeFile,
    rangeEnd: end,
    digest,
  };
  // A Buffer view of the parsed bytes (the shared object model types them as Uint8Array).
  const der = Buffer.from(contents.bytes.buffer, contents.bytes.byteOffset, contents.bytes.byteLength);
  let signedData: SignedData;
  try {
    signedData = parseSignedData(der);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ...ok, cms: der, cmsProblem: `The signature value is not a readable CMS structure: ${why}` };
  }
  if (signedData.signerInfos.length !== 1) {
    return {
      ...ok,
      cms: der,
      cmsProblem: 'The CMS holds more than one signer; a PDF signature has exactly one.',
    };
  }
  for (let i = signedData.length; i < der.length; i++) {
    if (der[i] !== 0) {
      return {
        ...ok,
        cms: der,
        cmsProblem: 'The /Contents holds bytes after the signature other than zero padding.',
      };
    }
  }
  return { ...ok, cms: der.subarray(0, signedData.length), signedData };
}

/** PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000-1 §7.9.4); undefined when absent or malformed. */
export function parsePdfDate(value: unknown): Date | undefined {
  if (!(value instanceof PdfString)) return undefined;
  const m = /^(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?(?:([Zz+-])(\d\d)?'?(\d\d)?'?)?/.exec(
    value.toText().trim(),
  );
  if (!m) return undefined;
  const utc = Date.UTC(
    +m[1]!,
    Number(m[2] ?? 1) - 1,
    Number(m[3] ?? 1),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  const sign = m[7] === '-' ? -1 : m[7] === '+' ? 1 : 0;
  const offset = sign * (Number(m[8] ?? 0) * 60 + Number(m[9] ?? 0)) * 60_000;
  const date = new Date(utc - offset);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function textEntry(dict: PdfDict | undefined, key: string): string | undefined {
  const v = dict?.get(key);
  return v instanceof PdfString ? v.toText() : undefined;
}
