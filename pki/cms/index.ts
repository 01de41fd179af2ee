/** CMS SignedData for PAdES: the public API of pki/cms. */
export { CMS_OID, HASH_OIDS, hashAlgorithmFromOid } from './algorithms';
export {
  assembleSignedData,
  type CertificateReference,
  type CmsSignatureInput,
  certificateReference,
  createCmsSignature,
  hash,
  type SignedAttributesInput,
  type SignedDataInput,
  signedAttributes,
} from './signed-data';
export { readTimestampToken, requestTimestamp, type TimestampTokenInfo } from './timestamp';
