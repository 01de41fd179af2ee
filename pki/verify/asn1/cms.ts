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
  smallInteger,
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
  /** Entries of the kinds this reader does not verify (attribute certificates, other revocation formats). */
  readonly unverifiableEntries: number;
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
  if (children(ci).length !== 2) throw new DerError('The CMS ContentInfo has extra fields.');
  const parts = children(expect(explicit(wrapped), TAG.SEQUENCE, 'CMS SignedData'));
  // Nothing outside the signed attributes is protected by the signature, so every unsigned
  // field is held to what RFC 5652 allows: a changed byte there must not pass unnoticed.
  const version = smallInteger(expect(parts[0], TAG.INTEGER, 'CMS version'));
  if (![1, 3, 4, 5].includes(version)) throw new DerError(`CMS SignedData version ${version} is not valid.`);
  const digestAlgorithms = children(expect(parts[1], TAG.SET, 'CMS digest algorithms')).map((a) =>
    algorithmOid(a, 'CMS digest algorithm'),
  );
  let i = 2;
  const encap = children(expect(parts[i++], TAG.SEQUENCE, 'CMS encapsulated content'));
  const eContentType = oid(expect(encap[0], TAG.OID, 'CMS content type'));
  let eContent: Buffer | undefined;
  if (encap[1]) {
    const inner = explicit(encap[1]);
    // BER producers may chunk the OCTET STRING; join the pieces.
    eContent =
      inner.tag === (TAG.OCTET_STRING | 0x20) ? Buffer.concat(children(inner).map(octets)) : octets(inner);
  }
  if (encap.length > 2) throw new DerError('The CMS encapsulated content has extra fields.');
  const certificates: Buffer[] = [];
  const crls: Buffer[] = [];
  const ocsps: Buffer[] = [];
  let unverifiableEntries = 0;
  if (isContext(parts[i], 0)) {
    for (const c of children(parts[i++]!)) {
      if (c.tag === TAG.SEQUENCE) certificates.push(raw(c));
      else unverifiableEntries++;
    }
  }
  if (isContext(parts[i], 1)) {
    for (const c of children(parts[i++]!)) {
      if (c.tag === TAG.SEQUENCE) crls.push(raw(c));
      else {
        const [format, info] = isContext(c, 1) ? children(c) : [];
        if (format && info && oid(format) === OID.ocspResponseRevInfo) ocsps.push(raw(info));
        else unverifiableEntries++;
      }
    }
  }
  const signerInfos = children(expect(parts[i++], TAG.SET, 'CMS SignerInfos')).map(parseSignerInfo);
  if (signerInfos.length === 0) throw new DerError('The CMS SignedData has no signer.');
  if (i !== parts.length) throw new DerError('The CMS SignedData has extra fields.');
  for (const info of signerInfos) {
    if (!digestAlgorithms.includes(algorithmOid(info.digestAlgorithm, 'CMS digest algorithm'))) {
      throw new DerError("The signer's digest algorithm is missing from the CMS digest algorithms.");
    }
  }
  return {
    length: ci.end,
    unverifiableEntries,
    eContentType,
    eContent,
    certificates,
    crls,
    ocsps,
    signerInfos,
  };
}

/**
 * The OID of an AlgorithmIdentifier whose parameters are absent, NULL, or (RSA-PSS) a
 * SEQUENCE — anything else is a damaged encoding.
 */
function algorithmOid(t: Tlv, what: string): string {
  const c = children(expect(t, TAG.SEQUENCE, what));
  const o = oid(expect(c[0], TAG.OID, what));
  const params = c[1];
  const ok =
    c.length === 1 ||
    (c.length === 2 &&
      params !== undefined &&
      ((params.tag === TAG.NULL && params.contentEnd === params.contentStart) ||
        params.tag === TAG.SEQUENCE));
  if (!ok) throw new DerError(`${what} has malformed parameters.`);
  return o;
}

function parseSignerInfo(t: Tlv): SignerInfo {
  const parts = children(expect(t, TAG.SEQUENCE, 'CMS SignerInfo'));
  const version = smallInteger(expect(parts[0], TAG.INTEGER, 'CMS SignerInfo version'));
  let i = 1;
  const sidT = parts[i++];
  let sid: SignerId;
  // RFC 5652 §5.3: version 1 goes with issuerAndSerialNumber, version 3 with subjectKeyIdentifier.
  if (sidT?.tag === TAG.SEQUENCE && version === 1) {
    const [issuer, serial, extra] = children(sidT);
    if (!issuer || !serial || extra) throw new DerError('CMS signer identifier is malformed.');
    sid = { issuer: raw(expect(issuer, TAG.SEQUENCE, 'CMS signer issuer')), serial: integerBytes(serial) };
  } else if (sidT && isContext(sidT, 0) && version === 3) {
    sid = { subjectKeyId: content(sidT) };
  } else throw new DerError('CMS signer identifier or SignerInfo version is malformed.');
  const digestAlgorithm = expect(parts[i++], TAG.SEQUENCE, 'CMS digest algorithm');
  algorithmOid(digestAlgorithm, 'CMS digest algorithm');
  let signedAttrsDer: Buffer | undefined;
  let signedAttrs = new Map<string, Tlv[]>();
  if (isContext(parts[i], 0)) {
    const sa = parts[i++]!;
    signedAttrsDer = Buffer.from(raw(sa));
    signedAttrsDer[0] = TAG.SET;
    signedAttrs = attributes(sa, true);
  }
  const signatureAlgorithm = expect(parts[i++], TAG.SEQUENCE, 'CMS signature algorithm');
  algorithmOid(signatureAlgorithm, 'CMS signature algorithm');
  const signature = octets(expect(parts[i++], TAG.OCTET_STRING, 'CMS signature value'));
  const unsignedAttrs = isContext(parts[i], 1) ? attributes(parts[i++]!, false) : new Map<string, Tlv[]>();
  if (i !== parts.length) throw new DerError('The CMS SignerInfo has extra fields.');
  return { sid, digestAlgorithm, signedAttrsDer, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

function attributes(t: Tlv, unique: boolean): Map<string, Tlv[]> {
  const out = new Map<string, Tlv[]>();
  for (const attr of children(t)) {
    const [typeT, valuesT] = children(expect(attr, TAG.SEQUENCE, 'CMS attribute'));
    const type = oid(expect(typeT, TAG.OID, 'CMS attribute type'));
    const values = children(expect(valuesT, TAG.SET, 'CMS attribute values'));
    if (values.length === 0) throw new DerError(`Attribute ${type} has no value.`);
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
