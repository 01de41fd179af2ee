/**
 * The content of a draft as the api accepts it: text, recipients (units, selectors,
 * members), the signer and signing authority, the response deadline, attachments.
 * Create and edit share these fields, so a draft edited is checked like a draft created.
 */
import { z } from 'zod';
import { SIGNING_AUTHORITIES } from '../domain/document';
import { UNIT_KINDS } from '../domain/org';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

const bodyBlock = z.union([
  z.string().max(20_000),
  z.strictObject({ kind: z.enum(['paragraph', 'heading', 'bullet']), text: z.string().max(20_000) }),
]);

export const recipientSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('unit'), unitId: z.number().int().positive() }),
    z.strictObject({
      kind: z.literal('units_under'),
      unitId: z.number().int().positive(),
      unitKind: z.enum(UNIT_KINDS),
    }),
    z.strictObject({ kind: z.literal('members_under'), unitId: z.number().int().positive() }),
  ])
  .meta({
    id: 'Recipient',
    description:
      'A named unit; every unit of a kind under a unit ("every branch under district X"); or every member under a unit',
  });

export const draftFields = {
  subject: text(500).describe('Trích yếu'),
  body: z.array(bodyBlock).min(1, 'needs at least one paragraph').max(500),
  recipients: z.array(recipientSchema).max(200).optional(),
  recipientsNote: z.string().max(2_000).optional().describe('Extra "Nơi nhận" lines, one per line'),
  signer: z
    .strictObject({
      personId: z.number().int().positive(),
      authority: z.enum(SIGNING_AUTHORITIES).optional().describe('T/M, K/T, T/L or T.U.Q'),
      authorityBody: z.string().max(100).optional(),
    })
    .optional(),
  responseDue: z.iso.datetime({ offset: true }).optional().describe('When recipients owe an answer'),
  escalateAfterMinutes: z
    .number()
    .positive()
    .max(60 * 24 * 60)
    .optional(),
  attachments: z
    .array(
      z.strictObject({
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of an uploaded file'),
        fileName: z
          .string()
          .min(1)
          .max(200)
          .regex(/^[^/\\\0]+$/, 'a file name, without folders'),
      }),
    )
    .max(50)
    .optional(),
};

export const draftContentSchema = z.strictObject(draftFields).meta({ id: 'DraftContent' });
