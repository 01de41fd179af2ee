/**
 * RFC 3161 timestamp tokens, both kinds PAdES uses: the signature-time-stamp attribute
 * (imprint = hash of the signature value) and the document timestamp (imprint = hash of
 * the signed byte ranges). A token proves a time only when its own CMS signature verifies,
 * its imprint matches, and its TSA certificate is a timestamping certificate that chains
 * to a trust anchor.
 */
import type { DigestName } from './asn1/algorithms';
import { OID } from './asn1/algorithms';
import { parseSignedData, type SignedData } from './asn1/cms';
import { parseTstInfo, type TstInfo } from './asn1/tst-info';
import type { Certificate } from './asn1/x509';
import { type ChainResult, type TrustSet, validateChain } from './chain';
import { checkSignerInfo, hashOf, type SignerInfoCheck } from './signer-info';

export interface TokenCheck {
  /** The token is well formed, its imprint matches, and its signature verifies. */
  readonly intact: boolean;
  /** Also: the TSA certificate is for timestamping and chains to a trust anchor, valid at genTime. */
  readonly trusted: boolean;
  readonly genTime?: Date;
  readonly tsa?: Certificate;
  readonly chain?: ChainResult;
  readonly signer?: SignerInfoCheck;
  readonly signedData?: SignedData;
  readonly tstInfo?: TstInfo;
  readonly imprintOk: boolean;
  readonly message: string;
}

export async function checkTimestampToken(
  der: Buffer,
  imprintOf: (alg: DigestName) => Buffer,
  trust: TrustSet,
  pool: readonly Certificate[],
): Promise<TokenCheck> {
  let sd: SignedData;
  let tst: TstInfo;
  try {
    sd = parseSignedData(der);
    if (sd.eContentType !== OID.tstInfo || !sd.eContent) throw new Error('not a timestamp token');
    tst = parseTstInfo(sd.eContent);
  } catch {
    return {
      intact: false,
      trusted: false,
      imprintOk: false,
      message: 'The timestamp token cannot be read.',
    };
  }
  const eContent = sd.eContent;
  const signer = checkSignerInfo(sd, sd.signerInfos[0]!, (alg) => hashOf(alg, eContent), pool);
  const imprintOk = tst.imprintHash !== undefined && imprintOf(tst.imprintHash).equals(tst.imprint);
  const base = { genTime: tst.genTime, tsa: signer.signer, signer, signedData: sd, tstInfo: tst, imprintOk };
  if (!imprintOk) {
    return {
      ...base,
      intact: false,
      trusted: false,
      message: 'The timestamp does not cover these bytes (imprint mismatch).',
    };
  }
  if (!signer.digestOk || !signer.signatureOk || !signer.signer) {
    return {
      ...base,
      intact: false,
      trusted: false,
      message: `The timestamp token's signature is not valid: ${signer.signatureOk ? signer.digestMessage : signer.signatureMessage}`,
    };
  }
  const tsa = signer.signer;
  if (!tsa.extendedKeyUsage.includes(OID.ekuTimeStamping)) {
    return {
      ...base,
      intact: true,
      trusted: false,
      message: `"${tsa.subjectText}" is not a timestamping certificate.`,
    };
  }
  const chain = await validateChain(tsa, [...signer.certificates, ...pool], trust, tst.genTime, 'timestamp');
  const at = tst.genTime.toISOString();
  if (!chain.trusted) {
    return {
      ...base,
      chain,
      intact: true,
      trusted: false,
      message: `Timestamp of ${at}, but its TSA is not trusted: ${chain.message}`,
    };
  }
  if (chain.timeProblem) {
    return {
      ...base,
      chain,
      intact: true,
      trusted: false,
      message: `Timestamp of ${at}, but the TSA certificate "${chain.timeProblem.certificate.subjectText}" was not valid then.`,
    };
  }
  return {
    ...base,
    chain,
    intact: true,
    trusted: true,
    message: `Timestamp of ${at} by "${tsa.commonName ?? tsa.subjectText}", verified and trusted.`,
  };
}
