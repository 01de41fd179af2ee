/**
 * Signature reports for the web pages: the signature panel of a document (signed in), the
 * public "verify a PDF" page where anyone drops a file, and the public page of one issued
 * document that the QR code on every issued PDF points to (`/v/<id>`).
 *
 * Verification runs `verifyPdf` against the deployment's trust store and revocation
 * source. An uploaded file is read into memory, judged and forgotten: it is never stored
 * or logged. Reports of stored PDFs are kept a few minutes by SHA-256, so a page that is
 * opened often does not verify the same bytes again and again.
 */
import type { Request } from 'express';
import { QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import { getBlob } from '../../db/blobs';
import { DomainError } from '../../domain/errors';
import { isPkiError } from '../../pki/errors';
import { type VerificationReport, verifyPdf } from '../../pki/verify';
import { assertDocumentVisible } from '../authorization';
import { MINIMAL_PDF } from '../example-pdf';
import { ApiProblem } from '../problem';
import { ACCESS_GROUPS, type ApiContext, defineRoute, PERSONAS } from '../route';
import { documentIdParams, problem } from '../schemas';

/** Larger uploads are refused before they are read to the end. */
export const MAX_VERIFY_BYTES = 20 * 1024 * 1024;
/** Public verifications running at once; more wait for a moment (503, Retry-After). */
const MAX_CONCURRENT_VERIFICATIONS = 2;
const REPORT_CACHE_MS = 10 * 60_000;
const REPORT_CACHE_ENTRIES = 200;

const check = z.looseObject({
  status: z.enum(['passed', 'failed', 'indeterminate', 'not_applicable']),
  message: z.string(),
});

const signatureReportView = z
  .looseObject({
    index: z.number(),
    kind: z.enum(['signature', 'document_timestamp']),
    field: z.string(),
    signer: z
      .looseObject({
        subject: z.string(),
        commonName: z.string().optional(),
        organization: z.string().optional(),
        issuer: z.string(),
        serialNumber: z.string(),
        notBefore: z.string(),
        notAfter: z.string(),
      })
      .optional(),
    reason: z.string().optional(),
    signingTime: z.looseObject({
      claimed: z.string().optional(),
      proven: z.string().optional(),
      used: z.string(),
    }),
    coversWholeFile: z.boolean(),
    checks: z.looseObject({
      byteRange: check,
      digest: check,
      cryptography: check,
      chain: check,
      certificateValidity: check,
      revocation: check,
      timestamp: check,
      modifications: check,
    }),
    padesLevel: z.enum(['none', 'B-B', 'B-T', 'B-LT', 'B-LTA']),
    verdict: z.enum(['valid', 'invalid', 'indeterminate']),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'SignatureReport' });

export const verificationReportView = z
  .object({
    verdict: z.enum(['valid', 'invalid', 'indeterminate', 'unsigned']),
    file: z.object({ size: z.number(), sha256: z.string(), revisions: z.number() }),
    validationTime: z.string(),
    signatures: z.array(signatureReportView),
  })
  .meta({ id: 'VerificationReport', description: 'The report of pki/verify: one entry per signature' });

const issuedDocumentView = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    type: z.string().describe('The document type’s name, e.g. Chỉ thị'),
    subject: z.string(),
    issuer: z.string(),
    issuedAt: z.string().nullable(),
    status: z.string(),
    recalled: z.boolean(),
    pdfSha256: z.string().describe('SHA-256 of the issued PDF, to compare with a copy'),
  })
  .meta({ id: 'IssuedDocument' });

// ------------------------------------------------------------------ verification

const cache = new Map<string, { at: number; report: Promise<VerificationReport> }>();

function verify(ctx: ApiContext, bytes: Uint8Array): Promise<VerificationReport> {
  return verifyPdf(bytes, {
    trust: ctx.pki.trust,
    revocation: ctx.pki.revocation,
    maxBytes: MAX_VERIFY_BYTES * 4,
  }).catch((error: unknown) => {
    if (isPkiError(error))
      throw new DomainError('validation', `the file cannot be verified: ${error.message}`, 'body');
    throw error;
  });
}

/** The report of a stored PDF, from the cache when it was made in the last minutes. */
async function reportOfStored(ctx: ApiContext, sha256: string): Promise<VerificationReport> {
  const now = Date.now();
  const hit = cache.get(sha256);
  if (hit && now - hit.at < REPORT_CACHE_MS) return hit.report;
  const report = getBlob(ctx.sequelize, sha256).then((bytes) => verify(ctx, bytes));
  cache.set(sha256, { at: now, report });
  report.catch(() => cache.delete(sha256));
  while (cache.size > REPORT_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return report;
}

let running = 0;

/** Runs a public verification when a slot is free; otherwise asks the caller to retry shortly. */
async function inVerificationSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_VERIFICATIONS) {
    throw new ApiProblem(
      503,
      'Hệ thống đang bận (busy)',
      'other files are being verified; try again in a few seconds',
      {
        headers: { 'Retry-After': '3' },
      },
    );
  }
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
  }
}

function readPdfBody(req: Request): Promise<Uint8Array> {
  if (!req.is('application/pdf')) {
    return Promise.reject(
      Object.assign(new Error('send the file as application/pdf'), {
        status: 415,
        type: 'encoding.unsupported',
      }),
    );
  }
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > MAX_VERIFY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_VERIFY_BYTES) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function tooLarge(): Error {
  return Object.assign(new Error(`the file is larger than ${MAX_VERIFY_BYTES / 1024 / 1024} MB`), {
    status: 413,
    type: 'entity.too.large',
  });
}

interface IssuedRow {
  id: string;
  number: string | null;
  type_name: string;
  subject: string;
  issuer: string;
  issued_at: Date | null;
  status: string;
  issued_pdf_sha256: string;
}

const ISSUED_SELECT = `SELECT d.id, d.number, t.name AS type_name, d.subject, u.name AS issuer, d.issued_at, d.status,
                              d.issued_pdf_sha256
                         FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
                         JOIN document_type t ON t.code = d.type_code`;

function issuedView(row: IssuedRow) {
  return {
    id: row.id,
    number: row.number,
    type: row.type_name,
    subject: row.subject,
    issuer: row.issuer,
    issuedAt: row.issued_at ? new Date(row.issued_at).toISOString() : null,
    status: row.status,
    recalled: row.status === 'recalled',
    pdfSha256: row.issued_pdf_sha256.trim(),
  };
}

async function issuedBySha(sequelize: Sequelize, sha256: string): Promise<IssuedRow | undefined> {
  const [row] = await sequelize.query<IssuedRow>(`${ISSUED_SELECT} WHERE d.issued_pdf_sha256 = $1 LIMIT 1`, {
    bind: [sha256],
    type: QueryTypes.SELECT,
  });
  return row;
}

// ------------------------------------------------------------------ routes

const signatures = defineRoute({
  method: 'get',
  path: '/documents/:id/signatures',
  operationId: 'documentSignatures',
  summary: 'The signature panel: who signed the document’s PDF, valid or not, and the PAdES level reached',
  description:
    'Verifies the issued PDF (or, before issue, the signed one) against the deployment’s trust store. `pdf` says which; `report` is null while the document has no signature.',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: {
    200: {
      description: 'The report',
      schema: z.object({
        pdf: z.enum(['issued', 'signed']).nullable(),
        report: verificationReportView.nullable(),
      }),
    },
    404: problem('No such document'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${(await f.documentAt('signed', true)).id}/signatures` }),
  },
  async handler({ actor, params, ctx }) {
    await assertDocumentVisible(ctx.sequelize, actor, params.id);
    const [row] = await ctx.sequelize.query<{ issued: string | null; signed: string | null }>(
      'SELECT issued_pdf_sha256 AS issued, signed_pdf_sha256 AS signed FROM document WHERE id = $1',
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    const sha = row?.issued ?? row?.signed;
    if (!sha) return { status: 200, body: { pdf: null, report: null } };
    return {
      status: 200,
      body: { pdf: row?.issued ? 'issued' : 'signed', report: await reportOfStored(ctx, sha.trim()) },
    };
  },
});

const publicVerify = defineRoute({
  method: 'post',
  path: '/verify',
  operationId: 'verifyPdfPublic',
  summary: 'Anyone: verify the signatures of a PDF (body: the PDF bytes); the file is never stored',
  description: `No sign-in. At most ${MAX_VERIFY_BYTES / 1024 / 1024} MB. When the file is exactly the issued PDF of a document of this system, \`document\` names it (and says whether it was recalled).`,
  tag: 'web',
  access: { kind: 'public' },
  responses: {
    200: {
      description: 'The verification report',
      schema: z.object({ report: verificationReportView, document: issuedDocumentView.nullable() }),
    },
    400: problem('Not a readable PDF'),
    413: problem('Too large'),
    415: problem('Send application/pdf'),
    503: problem('Busy: retry after a few seconds'),
  },
  accessExamples: {
    allow: PERSONAS,
    request: () => ({ path: '/verify', raw: { body: MINIMAL_PDF, contentType: 'application/pdf' } }),
  },
  async handler({ req, ctx }) {
    const bytes = await readPdfBody(req);
    const report = await inVerificationSlot(() => verify(ctx, bytes));
    const issued = await issuedBySha(ctx.sequelize, report.file.sha256);
    return { status: 200, body: { report, document: issued ? issuedView(issued) : null } };
  },
});

const publicDocument = defineRoute({
  method: 'get',
  path: '/public/documents/:id',
  operationId: 'publicDocument',
  summary: 'Anyone: the public verification page of an issued document (the QR code points here)',
  description:
    'Number, subject, issuer, date, whether it was recalled, the SHA-256 of the issued PDF and its signature report. Documents that were never issued are not found.',
  tag: 'web',
  access: { kind: 'public' },
  params: documentIdParams,
  responses: {
    200: {
      description: 'The issued document and its signature report',
      schema: issuedDocumentView.extend({ report: verificationReportView }),
    },
    404: problem('No issued document with this id'),
  },
  accessExamples: {
    allow: PERSONAS,
    request: async (f) => ({ path: `/public/documents/${(await f.documentAt('dispatched', true)).id}` }),
  },
  async handler({ params, ctx }) {
    const [row] = await ctx.sequelize.query<IssuedRow>(
      `${ISSUED_SELECT} WHERE d.id = $1 AND d.issued_pdf_sha256 IS NOT NULL`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    if (!row) throw new DomainError('not_found', `no issued document ${params.id}`);
    const report = await reportOfStored(ctx, row.issued_pdf_sha256.trim());
    return { status: 200, body: { ...issuedView(row), report } };
  },
});

export const webVerifyRoutes = [signatures, publicVerify, publicDocument];
