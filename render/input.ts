/**
 * What a Party document's PDF is made from: plain JSON, so an activity can take it from the
 * database and the same input always yields the same bytes. `readDirectiveInput` checks it
 * and returns it normalised (NFC, single spaces), or throws a DomainError naming the field.
 */
import { z } from 'zod';
import { URGENCIES, type Urgency } from '../domain/document';
import { DomainError } from '../domain/errors';

/** A body block: a plain string is a paragraph; objects mark structure explicitly. */
export type BodyBlock =
  | string
  | { kind: 'paragraph'; text: string }
  /** A section heading such as "I. MỤC TIÊU" or "1. Nhiệm vụ trọng tâm", set in bold. */
  | { kind: 'heading'; text: string }
  /** A dashed item ("- …"); the dash is added when missing. */
  | { kind: 'bullet'; text: string };

export interface DirectiveInput {
  issuer: {
    /** Superior body (cấp trên trực tiếp), e.g. "Đảng bộ thành phố Hà Nội"; printed in capitals. */
    superior: string;
    /** Issuing body, e.g. "Thành ủy"; printed in bold capitals. */
    name: string;
    /** Issuer abbreviation in numbers, e.g. "TU" in "12-CT/TU". */
    abbreviation: string;
  };
  documentType: {
    /** e.g. "Chỉ thị"; printed in bold capitals as the title. */
    name: string;
    /** Party abbreviation, e.g. "CT". */
    abbreviation: string;
  };
  /** Trích yếu, e.g. "về tăng cường chuyển đổi số". */
  subject: string;
  body: BodyBlock[];
  /** Omitted or "thuong" prints no mark. */
  urgency?: Urgency;
  signer: {
    /** Authority line above the title: "T/M BAN THƯỜNG VỤ", "K/T BÍ THƯ", "T/L BAN THƯỜNG VỤ". */
    authority?: string;
    /** "BÍ THƯ", "PHÓ BÍ THƯ", "CHÁNH VĂN PHÒNG". */
    title: string;
    name: string;
  };
  /** Nơi nhận items, without the dash; "Lưu Văn phòng" is added last when no item is a "Lưu …". */
  recipients: string[];
  /** Place of issue, e.g. "Hà Nội". */
  place: string;
  /** Issue date "YYYY-MM-DD"; printed only by a printed render. */
  date?: string;
  /** Register sequence (12 in "12-CT/TU"); printed only by a printed render. */
  number?: number;
  /** Public verification URL, encoded in the QR code. */
  verificationUrl: string;
}

/** A checked input: text NFC, whitespace collapsed, body flattened into typed paragraphs. */
export interface CheckedDirective extends Omit<DirectiveInput, 'body'> {
  body: CheckedBlock[];
}

export interface CheckedBlock {
  kind: 'paragraph' | 'heading' | 'bullet';
  text: string;
  /** Field path of the input block it came from, for error messages. */
  field: string;
}

/** Whole-document limits: generous for real directives, bounded so rendering stays fast. */
export const LIMITS = {
  blockChars: 200_000,
  bodyChars: 400_000,
  blocks: 2_000,
  /** A run without spaces (a URL, say) is broken letter by letter; that costs quadratic time. */
  wordChars: 300,
  recipients: 60,
} as const;

const line = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`));

// Block length is checked after parsing: inside a union, zod would only say "invalid".
const blockText = z.string().transform((s) => s.normalize('NFC'));

const block = z.union([
  blockText,
  z.strictObject({ kind: z.enum(['paragraph', 'heading', 'bullet']), text: blockText }),
]);

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a calendar date');

const schema = z.strictObject({
  issuer: z.strictObject({
    superior: line(120),
    name: line(120),
    abbreviation: line(20).refine((s) => !/[\s/]/.test(s), 'must not contain spaces or "/"'),
  }),
  documentType: z.strictObject({
    name: line(60),
    abbreviation: line(10).refine((s) => !/[\s/-]/.test(s), 'must not contain spaces, "/" or "-"'),
  }),
  subject: line(500),
  body: z
    .array(block)
    .min(1, 'needs at least one paragraph')
    .max(LIMITS.blocks, `at most ${LIMITS.blocks} paragraphs`),
  urgency: z.enum(URGENCIES).optional(),
  signer: z.strictObject({
    authority: line(80).optional(),
    title: line(80),
    name: line(80),
  }),
  recipients: z.array(line(300)).max(LIMITS.recipients, `at most ${LIMITS.recipients} recipients`),
  place: line(60),
  date: isoDate.optional(),
  number: z.number().int('must be a whole number').min(1).max(999_999).optional(),
  verificationUrl: z
    .string()
    .max(500, 'at most 500 characters')
    .refine((s) => {
      try {
        return ['http:', 'https:'].includes(new URL(s).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL'),
});

/** Checks and normalises the input; the first problem becomes a DomainError naming its field. */
export function readDirectiveInput(value: unknown): CheckedDirective {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    let path = issue.path.map(String).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path.map(String), issue.keys[0]].join('.');
      message = 'unknown field';
    } else if (issue.code === 'invalid_union') {
      message = 'must be a string or an object {kind, text} with kind paragraph, heading or bullet';
    }
    throw new DomainError('validation', `${path || 'input'}: ${message}`, path || undefined);
  }
  const input = result.data;
  const body: CheckedBlock[] = [];
  let total = 0;
  for (const [i, raw] of input.body.entries()) {
    const kind = typeof raw === 'string' ? 'paragraph' : raw.kind;
    const text = typeof raw === 'string' ? raw : raw.text;
    const field = `body.${i}`;
    if (text.length > LIMITS.blockChars) {
      throw new DomainError('validation', `${field}: at most ${LIMITS.blockChars} characters`, field);
    }
    total += text.length;
    // A drafter's pasted line breaks separate paragraphs; runs of spaces collapse.
    const parts = text
      .split(/\r?\n/)
      .map((p) => p.replace(/\s+/g, ' ').trim())
      .filter((p) => p.length > 0);
    if (parts.length === 0) throw new DomainError('validation', `${field}: must not be empty`, field);
    const longest = Math.max(...parts.flatMap((p) => p.split(' ').map((w) => w.length)));
    if (longest > LIMITS.wordChars) {
      throw new DomainError(
        'validation',
        `${field}: a word of ${longest} characters without spaces is too long to print (at most ${LIMITS.wordChars})`,
        field,
      );
    }
    for (const part of parts) body.push({ kind, text: part, field });
  }
  if (total > LIMITS.bodyChars) {
    throw new DomainError('validation', `body: at most ${LIMITS.bodyChars} characters in all`, 'body');
  }
  return { ...input, body };
}
