/** Schemas shared by several routes: ids, problems, pagination. */
import { z } from 'zod';

export const uuid = z.string().uuid('must be a UUID');
export const documentIdParams = z.strictObject({ id: z.string().uuid('must be a document id (UUID)') });
export const unitIdParams = z.strictObject({ id: z.coerce.number().int().positive('must be a unit id') });

export const problemSchema = z
  .object({
    type: z.string(),
    status: z.number().int(),
    title: z.string(),
    detail: z.string(),
    field: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'An error, as RFC 9457 application/problem+json' });

export const problem = (description: string) => ({
  description,
  schema: problemSchema,
  contentType: 'application/problem+json',
});
