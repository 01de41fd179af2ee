/** PAdES signing (ETSI EN 319 142-1): the public API of pki/pades. */
export {
  layoutAppearance,
  type PlacedAppearance,
  type Rect,
  type SignatureAppearance,
  sealFieldRect,
  sealOver,
  vietnamTime,
} from './appearance';
export { addDocumentTimestamp, type DocumentTimestampOptions } from './document-timestamp';
export { addValidationData, type ValidationDataOptions } from './dss';
export { assertExistingSignaturesIntact, type ExistingSignature, existingSignatures } from './existing';
export {
  addFormFields,
  addIssuanceFields,
  DOCUMENT_NUMBER_FIELD,
  type FormFieldsSpec,
  fillTextFields,
  ISSUE_DATE_FIELD,
  SEAL_FIELD,
  type SignatureFieldSpec,
  type TextFieldSpec,
} from './fields';
export { type FieldInfo, listFields } from './form';
export type { SignatureDetails } from './revision';
export {
  type LevelProviders,
  PADES_LEVELS,
  type PadesLevel,
  type SignPdfOptions,
  type SignPdfResult,
  signPdf,
} from './sign';
export type { DocMdpPermissions } from './signature-field';
export {
  completePdfSignature,
  type PreparedPdfSignature,
  type PreparePdfSignatureOptions,
  type PreparePdfSignatureResult,
  preparePdfSignature,
} from './two-phase';
