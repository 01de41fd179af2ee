/**
 * Document timestamp (PAdES B-LTA, ETSI EN 319 142-1 §5.4): a signature field whose value
 * is a /DocTimeStamp with SubFilter ETSI.RFC3161 and an RFC 3161 token over the byte
 * range, added by incremental update after the DSS so it protects the validation data.
 */
import { hash } from '../cms/signed-data';
import { requestTimestamp } from '../cms/timestamp';
import { PkiError } from '../errors';
import { IncrementalWriter } from '../pdf/incremental';
import { PdfReader } from '../pdf/reader';
import type { TimestampAuthority } from '../providers';
import type { HashAlgorithm } from '../signer';
import { FormUpdate, freeFieldName } from './form';
import { byteRangeParts, embedContents, fixByteRange, stageSignatureField } from './signature-field';

export interface DocumentTimestampOptions {
  timestampAuthority: TimestampAuthority;
  hashAlgorithm?: HashAlgorithm;
  /** Default "DocumentTimestamp1", "…2", … */
  fieldName?: string;
  maxBytes?: number;
}

const TOKEN_RESERVE = 10240;

export async function addDocumentTimestamp(
  pdf: Uint8Array,
  options: DocumentTimestampOptions,
): Promise<Uint8Array> {
  const reader = PdfReader.open(pdf, { maxBytes: options.maxBytes });
  const hashAlgorithm = options.hashAlgorithm ?? 'SHA-256';
  const fieldName = options.fieldName ?? freeFieldName(reader, 'DocumentTimestamp');
  let contentsSize = TOKEN_RESERVE;
  for (let attempt = 0; ; attempt++) {
    const writer = new IncrementalWriter(reader);
    const staged = stageSignatureField(new FormUpdate(reader, writer), {
      kind: 'timestamp',
      fieldName,
      contentsSize,
      widget: { page: 0, rect: [0, 0, 0, 0] },
    });
    const result = writer.write();
    const range = fixByteRange(result, staged);
    const digest = hash(hashAlgorithm, byteRangeParts(result.bytes, range));
    const { token } = await requestTimestamp(options.timestampAuthority, digest, hashAlgorithm);
    if (token.length > contentsSize) {
      if (attempt > 0)
        throw new PkiError('internal', 'The document timestamp does not fit its reserved space.');
      contentsSize = token.length + 4096;
      continue;
    }
    embedContents(result.bytes, range, token);
    return result.bytes;
  }
}
