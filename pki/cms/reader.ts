/**
 * A direct reader of CMS SignedData (RFC 5652) for what signing needs from existing
 * signatures and timestamp tokens: certificates as their exact DER, and per signer the
 * digest algorithm, messageDigest, signature value and unsigned attributes; the
 * encapsulated content (a TSTInfo for timestamps). pkijs parses the same in about 20 ms
 * per token, which dominated B-T signing; this takes microseconds. BER constructed OCTET
 * STRINGs (as some encoders write eContent) are accepted.
 */
import { PkiError } from '../errors';
import { CMS_OID } from './algorithms';
import { bytesOf, children, contentOf, type Element, readElement } from './der';

export interface CmsAttribute {
  type: string;
  /** DER of each value in the attribute's SET. */
  values: Uint8Array[];
}

export interface CmsSignerInfo {
  digestAlgorithm: string;
  /** DER of the signed attributes as a SET (tag 0x31), i.e. exactly what was signed; absent if none. */
  signedAttributes?: Uint8Array;
  attributes: CmsAttribute[];
  signature: Uint8Array;
  unsignedAttributes: CmsAttribute[];
}

export interface CmsSignedData {
  eContentType: string;
  /** The encapsulated content's octets (a TSTInfo in a timestamp token), if present. */
  eContent?: Uint8Array;
  certificates: Uint8Array[];
  signerInfos: CmsSignerInfo[];
}

const TAG = { integer: 0x02, octetString: 0x04, oid: 0x06, sequence: 0x30, set: 0x31 } as const;

function fail(what: string): never {
  throw new PkiError('invalid_input', `The CMS structure is malformed: ${what}.`);
}

function expectTag(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) fail(what);
  return e;
}

/** Dotted string of a DER OBJECT IDENTIFIER's contents. */
export function oidText(der: Uint8Array, e: Element): string {
  const body = contentOf(der, e);
  if (body.length === 0) fail('empty object identifier');
  const arcs: number[] = [Math.floor(body[0]! / 40), body[0]! % 40];
  if (body[0]! >= 80) {
    arcs[0] = 2;
    arcs[1] = body[0]! - 80;
  }
  let value = 0;
  for (let i = 1; i < body.length; i++) {
    value = value * 128 + (body[i]! & 0x7f);
    if (!(body[i]! & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** Contents of an OCTET STRING, primitive or (BER) constructed from chunks. */
function octets(der: Uint8Array, e: Element): Uint8Array {
  if (e.tag === TAG.octetString) return contentOf(der, e);
  if (e.tag === 0x24) return Buffer.concat(children(der, e).map((c) => octets(der, c)));
  fail('expected an OCTET STRING');
}

function attributes(der: Uint8Array, set: Element): CmsAttribute[] {
  return children(der, set).map((attr) => {
    const [type, values] = children(der, expectTag(attr, TAG.sequence, 'attribute'));
    return {
      type: oidText(der, expectTag(type, TAG.oid, 'attribute type')),
      values: children(der, expectTag(values, TAG.set, 'attribute values')).map((v) => bytesOf(der, v)),
    };
  });
}

export function readSignedData(cms: Uint8Array): CmsSignedData {
  try {
    const info = expectTag(readElement(cms, 0), TAG.sequence, 'ContentInfo');
    const [contentType, explicit] = children(cms, info);
    if (oidText(cms, expectTag(contentType, TAG.oid, 'content type')) !== CMS_OID.signedData)
      fail('not SignedData');
    const signedData = expectTag(
      children(cms, expectTag(explicit, 0xa0, 'content'))[0],
      TAG.sequence,
      'SignedData',
    );
    const parts = children(cms, signedData);
    let at = 2; // version, digestAlgorithms
    const encap = children(cms, expectTag(parts[at++], TAG.sequence, 'encapContentInfo'));
    const eContentType = oidText(cms, expectTag(encap[0], TAG.oid, 'eContentType'));
    const eContentWrapper = encap[1];
    const eContent = eContentWrapper
      ? octets(cms, children(cms, expectTag(eContentWrapper, 0xa0, 'eContent'))[0] ?? fail('eContent'))
      : undefined;
    const certificates: Uint8Array[] = [];
    if (parts[at]?.tag === 0xa0) {
      for (const c of children(cms, parts[at]!))
        if (c.tag === TAG.sequence) certificates.push(bytesOf(cms, c));
      at++;
    }
    if (parts[at]?.tag === 0xa1) at++; // crls
    const signerInfos = children(cms, expectTag(parts[at], TAG.set, 'signerInfos')).map((si) => {
      const fields = children(cms, expectTag(si, TAG.sequence, 'SignerInfo'));
      let k = 2; // version, sid
      const digestAlgorithm = oidText(
        cms,
        children(cms, expectTag(fields[k++], TAG.sequence, 'digestAlgorithm'))[0]!,
      );
      let signedAttributes: Uint8Array | undefined;
      let signed: CmsAttribute[] = [];
      if (fields[k]?.tag === 0xa0) {
        signedAttributes = Uint8Array.from(bytesOf(cms, fields[k]!));
        signedAttributes[0] = TAG.set;
        signed = attributes(cms, fields[k]!);
        k++;
      }
      k++; // signatureAlgorithm
      const signature = contentOf(cms, expectTag(fields[k++], TAG.octetString, 'signature'));
      const unsigned = fields[k]?.tag === 0xa1 ? attributes(cms, fields[k]!) : [];
      return {
        digestAlgorithm,
        signedAttributes,
        attributes: signed,
        signature,
        unsignedAttributes: unsigned,
      };
    });
    return { eContentType, eContent, certificates, signerInfos };
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError('invalid_input', 'The CMS structure is malformed.', { cause: error });
  }
}

/** The contents of the messageDigest signed attribute, if present. */
export function messageDigestOf(signer: CmsSignerInfo): Uint8Array | undefined {
  const value = signer.attributes.find((a) => a.type === CMS_OID.messageDigest)?.values[0];
  if (!value) return undefined;
  const e = readElement(value, 0);
  return e.tag === TAG.octetString ? contentOf(value, e) : undefined;
}

export interface TstInfo {
  hashAlgorithm: string;
  imprint: Uint8Array;
  genTime: Date;
}

/** The fields of a TSTInfo (RFC 3161 §2.4.2) that signing checks. */
export function readTstInfo(der: Uint8Array): TstInfo {
  const tst = expectTag(readElement(der, 0), TAG.sequence, 'TSTInfo');
  const [, , imprint, , genTime] = children(der, tst); // version, policy, messageImprint, serialNumber, genTime
  const [algorithm, hashed] = children(der, expectTag(imprint, TAG.sequence, 'messageImprint'));
  const hashAlgorithm = oidText(der, children(der, expectTag(algorithm, TAG.sequence, 'hash algorithm'))[0]!);
  const time = Buffer.from(contentOf(der, expectTag(genTime, 0x18, 'genTime'))).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(time);
  if (!m) fail('genTime is not a UTC GeneralizedTime');
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  return {
    hashAlgorithm,
    imprint: contentOf(der, expectTag(hashed, TAG.octetString, 'hashedMessage')),
    genTime: new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms)),
  };
}
