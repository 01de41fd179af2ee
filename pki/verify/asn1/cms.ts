/**
 * CMS SignedData (RFC 5652) as found in PDF signatures and RFC 3161 timestamp tokens:
 * certificates, embedded revocation data, and SignerInfos with their attributes kept as
 * the exact bytes that were signed.
 */
import { OID } from './algorithms';
import {
  children,
  content,
  DerError,
  expect,
  explicit,
  integerBytes,
  isContext,
  octets,
  oid,
  parseDer,
  raw,
  TAG,
  type Tlv,
} from './der';

export interface SignerId {
  readonly issuer?: Buffer;
  readonly serial?: Buffer;
  readonly subjectKeyId?: Buffer;
}

export interface SignerInfo {
  readonly sid: SignerId;
  readonly digestAlgorithm: Tlv;
  /** The signed attributes re-tagged as SET OF (0x31): the bytes the signature covers. */
  readonly signedAttrsDer?: Buffer;
  readonly signedAttrs: Map<string, Tlv[]>;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Buffer;
  readonly unsignedAttrs: Map<string, Tlv[]>;
}

export interface SignedData {
  /** Length of the ContentInfo in bytes (anything after it in /Contents is padding). */
  readonly length: number;
  readonly eContentType: string;
  readonly eContent?: Buffer;
  readonly certificates: Buffer[];
  readonly crls: Buffer[];
  /** OCSPResponse DER from `RevocationInfoChoice` other format id-ri-ocsp-response (RFC 5940). */
  readonly ocsps: Buffer[];
  readonly signerInfos: SignerInfo[];
}

/** Parses a ContentInfo holding SignedData; throws `signature_damaged` when it is not one. */
export function parseSignedData(der: Buffer): SignedData {
  const ci = expect(parseDer(der), TAG.SEQUENCE, 'CMS ContentInfo');
  const [typeT, wrapped] = children(ci);
  if (!typeT || oid(typeT) !== OID.signedData || !wrapped || !isContext(wrapped, 0)) {
    throw new DerError('The signature is not a CMS SignedData.');
  }
  const parts = children(expect(explicit(wrapped), TAG.SEQUENCE, 'CMS SignedData'));
  let i = 1; // version
  i++; // digestAlgorithms
  const encap = children(expect(parts[i++], TAG.SEQUENCE, 'CMS encapsulated content'));
  const eContentType = oid(expect(encap[0], TAG.OID, 'CMS content type'));
  let eContent: Buffer | undefined;
  if (encap[1]) {
    const inner = explicit(encap[1]);
    // BER producers may chunk the OCTET STRING; join the pieces.
    eContent =
      inner.tag === (TAG.OCTET_STRING | 0x20) ? Buffer.concat(children(inner).map(octets)) : octets(inner);
  }
  const certificates: Buffer[] = [];
  const crls: Buffer[] = [];
  const ocsps: Buffer[] = [];
  if (isContext(parts[i], 0)) {
    for (const c of children(parts[i++]!)) if (c.tag === TAG.SEQUENCE) certificates.push(raw(c));
  }
  if (isContext(parts[i], 1)) {
    for (const c of children(parts[i++]!)) {
      if (c.tag === TAG.SEQUENCE) crls.push(raw(c));
      else if (isContext(c, 1)) {
        const [format, info] = children(c);
        if (format && info && oid(format) === OID.ocspResponseRevInfo) ocsps.push(raw(info));
      }
    }
  }
  const signerInfos = children(expect(parts[i], TAG.SET, 'CMS SignerInfos')).map(parseSignerInfo);
  if (signerInfos.length === 0) throw new DerError('The CMS SignedData has no signer.');
  return { length: ci.end, eContentType, eContent, certificates, crls, ocsps, signerInfos };
}

function parseSignerInfo(t: Tlv): SignerInfo {
  const parts = children(expect(t, TAG.SEQUENCE, 'CMS SignerInfo'));
  let i = 1; // version
  const sidT = parts[i++];
  let sid: SignerId;
  if (sidT?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = children(sidT);
    if (!issuer || !serial) throw new DerError('CMS signer identifier is malformed.');
    sid = { issuer: raw(issuer), serial: integerBytes(serial) };
  } else if (sidT && isContext(sidT, 0)) {
    sid = { subjectKeyId: content(sidT) };
  } else throw new DerError('CMS signer identifier is malformed.');
  const digestAlgorithm = expect(parts[i++], TAG.SEQUENCE, 'CMS digest algorithm');
  let signedAttrsDer: Buffer | undefined;
  let signedAttrs = new Map<string, Tlv[]>();
  if (isContext(parts[i], 0)) {
    const sa = parts[i++]!;
    signedAttrsDer = Buffer.from(raw(sa));
    signedAttrsDer[0] = TAG.SET;
    signedAttrs = attributes(sa, true);
  }
  const signatureAlgorithm = expect(parts[i++], TAG.SEQUENCE, 'CMS signature algorithm');
  const signature = octets(expect(parts[i++], TAG.OCTET_STRING, 'CMS signature value'));
  const unsignedAttrs = isContext(parts[i], 1) ? attributes(parts[i]!, false) : new Map<string, Tlv[]>();
  return { sid, digestAlgorithm, signedAttrsDer, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

function attributes(t: Tlv, unique: boolean): Map<string, Tlv[]> {
  const out = new Map<string, Tlv[]>();
  for (const attr of children(t)) {
    const [typeT, valuesT] = children(expect(attr, TAG.SEQUENCE, 'CMS attribute'));
    const type = oid(expect(typeT, TAG.OID, 'CMS attribute type'));
    const values = children(expect(valuesT, TAG.SET, 'CMS attribute values'));
    if (unique && out.has(type)) throw new DerError(`Signed attribute ${type} appears twice.`);
    out.set(type, [...(out.get(type) ?? []), ...values]);
  }
  return out;
}

/** The single value of a signed attribute, or undefined; more than one value is damage. */
export function singleValue(attrs: Map<string, Tlv[]>, type: string): Tlv | undefined {
  const values = attrs.get(type);
  if (!values) return undefined;
  if (values.length !== 1) throw new DerError(`Attribute ${type} must have exactly one value.`);
  return values[0];
}
