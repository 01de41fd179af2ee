/**
 * ETag / If-Match for edits, so two people editing the same thing cannot overwrite each
 * other silently. A read answers with a strong ETag naming the exact version; an edit
 * must send it back in If-Match:
 *   - no If-Match at all        → 428 Precondition Required (the client must say what it edits);
 *   - If-Match of another version → 412 Precondition Failed (someone changed it meanwhile);
 *   - If-Match of this version  → the edit proceeds, and answers with the new ETag.
 *
 *   GET  /documents/:id/draft  → ETag: documentEtag(doc)
 *   PUT  /documents/:id/draft  → requireIfMatch(req, documentEtag(current)) before the update
 *
 * The tag is a hash of what identifies the version (for a document: id, version and the
 * content's SHA-256), so it reveals nothing and two versions never share one. Weak tags
 * (W/"…") never match: If-Match uses strong comparison (RFC 9110 §13.1.1).
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ApiProblem } from './problem';

export const IF_MATCH = 'If-Match';

/** A strong ETag over the parts that identify one version of a thing. */
export function entityEtag(kind: string, ...parts: ReadonlyArray<string | number>): string {
  const digest = createHash('sha256')
    .update([kind, ...parts.map(String)].join('\u0000'))
    .digest('base64url')
    .slice(0, 27);
  return `"${digest}"`;
}

/** The ETag of one version of a document draft. */
export function documentEtag(document: { id: string; version: number; sha256: string }): string {
  return entityEtag('document', document.id, document.version, document.sha256);
}

/** The entity tags listed in an If-Match / If-None-Match header; '*' stands for any. */
export function parseEntityTags(header: string): string[] {
  const tags: string[] = [];
  const pattern = /\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/gy;
  let match: RegExpExecArray | null = pattern.exec(header);
  while (match) {
    tags.push(match[1]!);
    if (pattern.lastIndex >= header.length) break;
    match = pattern.exec(header);
  }
  return tags;
}

/** Refuses an edit without If-Match (428) or whose If-Match is not the current version (412). */
export function requireIfMatch(req: Request, current: string): void {
  const header = req.get(IF_MATCH);
  if (header === undefined || header.trim() === '') {
    throw new ApiProblem(
      428,
      'Thiếu điều kiện phiên bản (precondition required)',
      `send the ETag of the version you edit in the ${IF_MATCH} header (read it first)`,
      { field: `header.${IF_MATCH}` },
    );
  }
  const tags = parseEntityTags(header);
  const matches = tags.some((tag) => tag === '*' || (!tag.startsWith('W/') && tag === current));
  if (!matches) {
    throw new ApiProblem(
      412,
      'Phiên bản đã thay đổi (precondition failed)',
      'this was changed since you read it; read it again, re-apply your edit and send the new ETag',
      { field: `header.${IF_MATCH}`, headers: { ETag: current } },
    );
  }
}

/** True when the client already holds this version (If-None-Match), so a GET can answer 304. */
export function notModified(req: Request, current: string): boolean {
  const header = req.get('If-None-Match');
  if (!header) return false;
  const bare = current.replace(/^W\//, '');
  return parseEntityTags(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === bare);
}
