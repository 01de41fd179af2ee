/** Rendering official Party documents to PDF: the public API of render/. */
export { MARGIN, MM, PAGE, TEXT } from './composer';
export {
  type PlacedRect,
  type RenderedDirective,
  type RenderMode,
  type RenderOptions,
  renderDirective,
} from './directive';
export { assertPrintable } from './fonts';
export {
  type BodyBlock,
  type CheckedDirective,
  type DirectiveInput,
  LIMITS,
  readDirectiveInput,
} from './input';
export { qrSymbol } from './qr';
export { dateWords, issuanceFieldValues, URGENCY_MARKS } from './wording';
