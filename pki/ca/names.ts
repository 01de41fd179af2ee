/**
 * Distinguished names for the certificates we issue. Vietnamese names carry diacritics, so
 * every free-text attribute is a UTF8String (RFC 5280 §4.1.2.6); the country is a two-letter
 * PrintableString and the e-mail address an IA5String, as the standards require.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../crypto/oids';
import { PkiError } from '../errors';

export interface SubjectInput {
  /** Person's full name, or the organisation's name on a seal certificate. */
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  /** ISO 3166 two-letter code; VN unless given. */
  country?: string;
  province?: string;
  locality?: string;
  title?: string;
  email?: string;
  /** Personal identifier, e.g. "CCCD:001234567890" (RFC 4519 UID). */
  uid?: string;
}

const MAX_LENGTH = 128;

function text(value: string | undefined, label: string): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.normalize('NFC').trim();
  if (trimmed.length === 0) return undefined;
  if (trimmed.length > MAX_LENGTH)
    throw new PkiError('invalid_input', `The ${label} is longer than 128 characters.`);
  if ([...trimmed].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')) {
    throw new PkiError('invalid_input', `The ${label} contains control characters.`);
  }
  return trimmed;
}

function utf8(type: string, value: string): pkijs.AttributeTypeAndValue {
  return new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) });
}

/** Validates the input and builds the RDN sequence in the conventional C, ST, L, O, OU, title, CN order. */
export function buildName(input: SubjectInput): pkijs.RelativeDistinguishedNames {
  const commonName = text(input.commonName, 'common name');
  if (!commonName) throw new PkiError('invalid_input', 'A certificate subject needs a common name.');
  const country = (input.country ?? 'VN').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) {
    throw new PkiError('invalid_input', `The country "${input.country}" is not a two-letter ISO 3166 code.`);
  }
  const email = text(input.email, 'e-mail address');
  if (email !== undefined && !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) {
    throw new PkiError('invalid_input', `The e-mail address "${email}" is not a valid ASCII address.`);
  }
  const values: pkijs.AttributeTypeAndValue[] = [
    new pkijs.AttributeTypeAndValue({
      type: OID.countryName,
      value: new asn1js.PrintableString({ value: country }),
    }),
  ];
  const optional: Array<[string, string | undefined, string]> = [
    [OID.stateOrProvinceName, input.province, 'province'],
    [OID.localityName, input.locality, 'locality'],
    [OID.organizationName, input.organization, 'organisation'],
    [OID.organizationalUnitName, input.organizationalUnit, 'organisational unit'],
    [OID.title, input.title, 'title'],
  ];
  for (const [oid, value, label] of optional) {
    const clean = text(value, label);
    if (clean) values.push(utf8(oid, clean));
  }
  values.push(utf8(OID.commonName, commonName));
  const uid = text(input.uid, 'UID');
  if (uid) values.push(utf8(OID.userId, uid));
  if (email) {
    values.push(
      new pkijs.AttributeTypeAndValue({
        type: OID.emailAddress,
        value: new asn1js.IA5String({ value: email }),
      }),
    );
  }
  // One attribute per RDN (pkijs would put them all in a single multi-valued RDN), then
  // parse back so the object keeps exactly these bytes.
  const sequence = new asn1js.Sequence({
    value: values.map((value) => new asn1js.Set({ value: [value.toSchema()] })),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(sequence.toBER(false));
}
