/** RFC 3161 TSTInfo: what a timestamp token asserts (which digest, at what time, by which policy). */
import { type DigestName, digestAlgorithm } from './algorithms';
import { children, expect, integerBytes, octets, oid, parseDer, TAG, time } from './der';

export interface TstInfo {
  readonly policy: string;
  readonly imprintHash?: DigestName;
  readonly imprint: Buffer;
  readonly serial: Buffer;
  readonly genTime: Date;
}

export function parseTstInfo(der: Buffer): TstInfo {
  const parts = children(expect(parseDer(der), TAG.SEQUENCE, 'TSTInfo'));
  const policy = oid(expect(parts[1], TAG.OID, 'TSTInfo policy'));
  const [alg, hashed] = children(expect(parts[2], TAG.SEQUENCE, 'TSTInfo message imprint'));
  return {
    policy,
    imprintHash: alg ? digestAlgorithm(alg) : undefined,
    imprint: octets(expect(hashed, TAG.OCTET_STRING, 'TSTInfo hashed message')),
    serial: integerBytes(expect(parts[3], TAG.INTEGER, 'TSTInfo serial number')),
    genTime: time(expect(parts[4], TAG.GENERALIZED_TIME, 'TSTInfo genTime')),
  };
}
