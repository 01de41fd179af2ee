/** Low-level PDF reading and incremental writing: the public API of pki/pdf. */
export { EmbeddedFont, type ObjectSink, TrueTypeFont } from './font';
export { type EmbeddedImage, embedImage, imageSize } from './image';
export { type IncrementalResult, IncrementalWriter } from './incremental';
export {
  dict,
  name,
  PdfDict,
  PdfName,
  PdfPlaceholder,
  PdfRaw,
  PdfRef,
  PdfStream,
  PdfString,
  type PdfValue,
} from './objects';
export {
  DEFAULT_MAX_PDF_BYTES,
  PdfReader,
  type PdfReadOptions,
  type XrefEntry,
  type XrefSection,
} from './reader';
export { PdfSerializer } from './serialize';
