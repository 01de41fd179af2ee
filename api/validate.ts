/**
 * Request validation with zod: the same schemas that check requests describe them.
 * The first problem found becomes a DomainError naming the field, e.g.
 * `body.subject: Required`.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { DomainError } from '../domain/errors';

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let path = [where, ...issue.path.map(String)].join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [where, ...issue.path.map(String), issue.keys[0]].join('.');
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  throw new DomainError('validation', `${path}: ${message}`, path);
}

/** The JSON body of a POST/PUT/PATCH; refuses other content types with 415. */
export function jsonBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json')) {
    throw Object.assign(new Error('send the request body as application/json'), {
      status: 415,
      type: 'encoding.unsupported',
    });
  }
  return parseWith(schema, req.body, 'body');
}
