/**
 * SHA-256 identities of content. Kept apart from the rest of domain/ because workflows
 * (which have no node:crypto) import domain/ too; only activities and the api hash.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type DraftContent } from './document';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SHA-256 that identifies one version of a draft's content. */
export function contentHash(content: DraftContent): string {
  return sha256Hex(canonicalJson(content));
}
