/**
 * Reading RFC 3161 timestamp tokens received from a TimestampAuthority: enough to check
 * that the token is a SignedData over a TSTInfo whose imprint is the digest we asked for,
 * and to collect its certificates (the TSA's) for the Document Security Store. The TSA
 * client verifies the token's signature; this is the signing side's fail-closed check
 * that what goes into a PDF is the timestamp of this signature and nothing else.
 */
import { PkiError } from '../errors';
import type { TimestampAuthority } from '../providers';
import type { HashAlgorithm } from '../signer';
import { CMS_OID, HASH_OIDS, hashAlgorithmFromOid } from './algorithms';
import { readSignedData, readTstInfo } from './reader';

export interface TimestampTokenInfo {
  hashAlgorithm: HashAlgorithm;
  imprint: Uint8Array;
  genTime: Date;
  /** DER certificates carried in the token (the TSA's certificate, maybe its chain). */
  certificates: Uint8Array[];
}

export function readTimestampToken(token: Uint8Array): TimestampTokenInfo {
  try {
    const signedData = readSignedData(token);
    if (signedData.eContentType !== CMS_OID.tstInfo || !signedData.eContent) throw new Error('no TSTInfo');
    const tst = readTstInfo(signedData.eContent);
    const hashAlgorithm = hashAlgorithmFromOid(tst.hashAlgorithm);
    if (!hashAlgorithm) throw new Error('unsupported imprint hash');
    return {
      hashAlgorithm,
      imprint: tst.imprint,
      genTime: tst.genTime,
      certificates: signedData.certificates,
    };
  } catch (error) {
    throw new PkiError('tsa_unavailable', 'The timestamp authority returned a token that cannot be read.', {
      cause: error,
    });
  }
}

/**
 * Asks the TSA for a token over `digest` and checks its imprint; any failure is
 * `tsa_unavailable` so no caller silently continues without the timestamp it asked for.
 */
export async function requestTimestamp(
  tsa: TimestampAuthority,
  digest: Uint8Array,
  hashAlgorithm: HashAlgorithm,
): Promise<{ token: Uint8Array; info: TimestampTokenInfo }> {
  let token: Uint8Array;
  try {
    token = await tsa.timestamp(digest, hashAlgorithm);
  } catch (error) {
    if (error instanceof PkiError && error.code === 'tsa_unavailable') throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new PkiError('tsa_unavailable', `The timestamp authority did not answer: ${why}`, { cause: error });
  }
  if (!(token instanceof Uint8Array) || token.length === 0) {
    throw new PkiError('tsa_unavailable', 'The timestamp authority returned no token.');
  }
  const info = readTimestampToken(token);
  if (
    HASH_OIDS[info.hashAlgorithm] !== HASH_OIDS[hashAlgorithm] ||
    !Buffer.from(info.imprint).equals(Buffer.from(digest))
  ) {
    throw new PkiError('tsa_unavailable', 'The timestamp authority returned a token for other data.');
  }
  return { token, info };
}
