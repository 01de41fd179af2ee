/**
 * The bytes of a document: rendering the approved version, the leader's signature, and
 * the clerk's issuing (number, date and the organisation's seal).
 *
 * Every signature is two-phase: prepare hands out exactly what the key must sign; the
 * signature value comes back from wherever the key is (a passphrase-unlocked software key
 * in the api process, a PKCS#11 token, a USB token in the browser) and complete embeds it.
 * No passphrase or private key ever reaches Temporal or this worker.
 *
 * What was approved is what is signed: the approval pinned the SHA-256 of the rendered
 * PDF, and signing starts from the blob of exactly that hash (getBlob re-checks it).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes, type Transaction } from 'sequelize';
import { getBlob, putBlob } from '../../db/blobs';
import { notify } from '../../db/notifications';
import { cancelEntry, registerOf, takeNumber } from '../../db/registers';
import { directiveInput } from '../../db/render-input';
import { enqueueWebhook } from '../../db/webhooks';
import { partyNumber } from '../../domain/numbering';
import { vietnamDate } from '../../domain/time';
import { isPkiError } from '../../pki/errors';
import {
  completePdfSignature,
  type PreparedPdfSignature,
  type PreparePdfSignatureResult,
  preparePdfSignature,
  SEAL_FIELD,
} from '../../pki/pades';
import { renderDirective } from '../../render';
import { issuanceFieldValues } from '../../render/wording';
import type { ActorRef, PreparedSigning } from '../../workflows/definitions';
import { auditDocument, inTransaction, type LifecycleDeps, setStatus } from './context';

/** Field of the leader's certification signature. */
export const LEADER_FIELD = 'chu_ky_lanh_dao';
/** The leader's image, if any, over the default text from the certificate ("Ký bởi: …"). */
function leaderAppearance(image: Uint8Array | null): { image?: Uint8Array; text?: false } {
  return image ? { image } : { text: false };
}

/** Where the renderer put the leader's signature and with which image, kept from the approval's render. */
interface ApprovedLayout {
  place: string;
  signature: { page: number; rect: { x: number; y: number; width: number; height: number } };
  imageSha256: string | null;
}

interface SessionRow {
  id: string;
  document_id: string;
  purpose: 'leader' | 'seal';
  person_id: number;
  prepared: Buffer;
  to_be_signed: Buffer;
  expires_at: Date;
  completed_at: Date | null;
  abandoned_at: Date | null;
}

/** What a session keeps beside the PAdES state: the number it reserved, if any. */
interface StoredPreparation {
  pades: PreparedPdfSignature;
  digestAlgorithm: string;
  digest: string;
  registerEntryId?: number;
  number?: string;
  issueDate?: string;
}

function fromBase64(value: string, field: string): Uint8Array {
  if (!/^[A-Za-z0-9+/=_-]*$/.test(value)) {
    throw ApplicationFailure.create({
      type: 'validation',
      message: `${field} is not base64`,
      nonRetryable: true,
    });
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** PKI refusals (bad certificate, wrong signature value) are answers, not retries. */
async function pkiRefusals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isPkiError(error) && error.code !== 'tsa_unavailable' && error.code !== 'revocation_unavailable') {
      throw ApplicationFailure.create({
        type: error.code === 'invalid_input' ? 'validation' : error.code,
        message: error.message,
        nonRetryable: true,
      });
    }
    throw error;
  }
}

export function signingActivities({ sequelize, pki, publicUrl }: LifecycleDeps) {
  async function session(id: string, transaction?: Transaction): Promise<SessionRow | undefined> {
    const [row] = await sequelize.query<SessionRow>('SELECT * FROM signing_session WHERE id = $1', {
      bind: [id],
      type: QueryTypes.SELECT,
      ...(transaction ? { transaction, lock: transaction.LOCK.UPDATE } : {}),
    });
    return row;
  }

  function answer(row: SessionRow): PreparedSigning {
    const stored = JSON.parse(row.prepared.toString('utf8')) as StoredPreparation;
    return {
      sessionId: row.id,
      toBeSigned: row.to_be_signed.toString('base64'),
      digestAlgorithm: stored.digestAlgorithm,
      digest: stored.digest,
      expiresAt: new Date(row.expires_at).toISOString(),
      ...(stored.number ? { number: stored.number } : {}),
    };
  }

  async function saveSession(
    transaction: Transaction,
    input: { sessionId: string; documentId: string; actor: ActorRef; at: string; expiresAt: string },
    purpose: 'leader' | 'seal',
    certificate: Uint8Array,
    result: PreparePdfSignatureResult,
    extra: Omit<StoredPreparation, 'pades' | 'digestAlgorithm' | 'digest'> = {},
  ): Promise<void> {
    const stored: StoredPreparation = {
      pades: result.prepared,
      digestAlgorithm: result.hashAlgorithm,
      digest: Buffer.from(result.digest).toString('base64'),
      ...extra,
    };
    await sequelize.query(
      `INSERT INTO signing_session (id, document_id, purpose, person_id, certificate, prepared, to_be_signed,
          created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      {
        bind: [
          input.sessionId,
          input.documentId,
          purpose,
          input.actor.personId,
          Buffer.from(certificate),
          Buffer.from(JSON.stringify(stored)),
          Buffer.from(result.toBeSigned),
          input.at,
          input.expiresAt,
        ],
        transaction,
      },
    );
  }

  async function openSession(sessionId: string, purpose: 'leader' | 'seal', personId: number, at: string) {
    const row = await session(sessionId);
    if (!row || row.purpose !== purpose || row.person_id !== personId) {
      throw ApplicationFailure.create({
        type: 'conflict',
        message: 'unknown signing session',
        nonRetryable: true,
      });
    }
    if (row.abandoned_at || new Date(row.expires_at) < new Date(at)) {
      throw ApplicationFailure.create({
        type: 'conflict',
        message: 'the signing session has expired; prepare again',
        nonRetryable: true,
      });
    }
    return { row, stored: JSON.parse(row.prepared.toString('utf8')) as StoredPreparation };
  }

  return {
    /** Renders the approved version with its empty number, date and seal fields, and pins its hash. */
    async pinApprovedVersion(input: {
      documentId: string;
      workflowId: string;
      version: number;
      sha256: string;
      at: string;
    }): Promise<{ pdfSha256: string }> {
      const directive = await directiveInput(sequelize, input.documentId, input.version, publicUrl);
      // The seal's field is planned over the left third of the leader's signature image, so
      // the image is chosen now and the leader later signs with exactly this appearance.
      const [key] = await sequelize.query<{ image: Buffer | null }>(
        `SELECT k.image FROM document d JOIN signing_key k ON k.person_id = d.signer_person_id
          WHERE d.id = $1 AND k.purpose = 'personal' AND k.active ORDER BY k.id DESC LIMIT 1`,
        { bind: [input.documentId], type: QueryTypes.SELECT },
      );
      const image = key?.image ? new Uint8Array(key.image) : null;
      const rendered = await renderDirective(directive, {
        mode: 'pre_signing',
        leaderAppearance: leaderAppearance(image),
      });
      return inTransaction(sequelize, async (transaction) => {
        const pdfSha256 = await putBlob(sequelize, rendered.pdf, 'application/pdf', transaction);
        const imageSha256 = image ? await putBlob(sequelize, image, 'image/png', transaction) : null;
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `pinned:${input.version}`,
          action: 'document.approved',
          actor: null,
          versionSha256: input.sha256,
          detail: { version: input.version, pdfSha256, final: true },
          at: input.at,
        });
        if (fresh) {
          await setStatus(sequelize, transaction, input.documentId, 'approved', input.at, {
            approved_version: input.version,
            approved_pdf_sha256: pdfSha256,
            approved_layout: JSON.stringify({
              place: directive.place,
              signature: rendered.signature,
              imageSha256,
            }),
          });
        }
        return { pdfSha256 };
      });
    },

    async prepareLeaderSigning(input: {
      documentId: string;
      workflowId: string;
      sessionId: string;
      actor: ActorRef;
      certificate: string;
      chain: string[];
      pdfSha256: string;
      at: string;
      expiresAt: string;
    }): Promise<PreparedSigning> {
      const existing = await session(input.sessionId);
      if (existing) return answer(existing);
      const [document] = await sequelize.query<{
        approved_pdf_sha256: string | null;
        approved_layout: ApprovedLayout;
      }>('SELECT approved_pdf_sha256, approved_layout FROM document WHERE id = $1', {
        bind: [input.documentId],
        type: QueryTypes.SELECT,
      });
      if (document?.approved_pdf_sha256 !== input.pdfSha256) {
        throw ApplicationFailure.create({
          type: 'conflict',
          message: 'the PDF to sign is not the approved one',
          nonRetryable: true,
        });
      }
      const pdf = await getBlob(sequelize, input.pdfSha256);
      const certificate = fromBase64(input.certificate, 'certificate');
      const layout = document.approved_layout;
      const image = layout.imageSha256 ? new Uint8Array(await getBlob(sequelize, layout.imageSha256)) : null;
      const result = await pkiRefusals(async () =>
        preparePdfSignature(pdf, {
          certificate,
          chain: input.chain.map((c, i) => fromBase64(c, `chain.${i}`)),
          level: 'B-T',
          certify: 2,
          fieldName: LEADER_FIELD,
          reason: 'Ký ban hành văn bản',
          location: layout.place,
          appearance: {
            ...leaderAppearance(image),
            page: layout.signature.page,
            rect: layout.signature.rect,
          },
          clock: () => new Date(input.at),
        }),
      );
      await inTransaction(sequelize, async (transaction) => {
        await saveSession(transaction, input, 'leader', certificate, result);
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `signing-prepared:${input.sessionId}`,
          action: 'signing.prepared',
          actor: input.actor,
          detail: { sessionId: input.sessionId, purpose: 'leader' },
          at: input.at,
        });
      });
      return answer((await session(input.sessionId))!);
    },

    async completeLeaderSigning(input: {
      documentId: string;
      workflowId: string;
      sessionId: string;
      actor: ActorRef;
      signatureValue: string;
      at: string;
    }): Promise<{ signedPdfSha256: string }> {
      const done = await session(input.sessionId);
      if (done?.completed_at) {
        const [row] = await sequelize.query<{ signed_pdf_sha256: string }>(
          'SELECT signed_pdf_sha256 FROM document WHERE id = $1',
          { bind: [input.documentId], type: QueryTypes.SELECT },
        );
        return { signedPdfSha256: row!.signed_pdf_sha256 };
      }
      const { stored } = await openSession(input.sessionId, 'leader', input.actor.personId, input.at);
      const signed = await pkiRefusals(() =>
        completePdfSignature(
          stored.pades,
          fromBase64(input.signatureValue, 'signatureValue'),
          undefined,
          undefined,
          {
            timestampAuthority: pki.tsa,
          },
        ),
      );
      return inTransaction(sequelize, async (transaction) => {
        const signedPdfSha256 = await putBlob(sequelize, signed.pdf, 'application/pdf', transaction);
        await sequelize.query('UPDATE signing_session SET completed_at = $2 WHERE id = $1', {
          bind: [input.sessionId, input.at],
          transaction,
        });
        await setStatus(sequelize, transaction, input.documentId, 'signed', input.at, {
          signed_pdf_sha256: signedPdfSha256,
        });
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `signed:${input.sessionId}`,
          action: 'document.signed',
          actor: input.actor,
          detail: { pdfSha256: signedPdfSha256, level: signed.level, field: signed.fieldName },
          at: input.at,
        });
        const clerks = await sequelize.query<{ person_id: number; subject: string }>(
          `SELECT r.person_id, d.subject FROM document d JOIN role_assignment r ON r.unit_id = d.issuing_unit_id
            WHERE d.id = $1 AND r.role = 'clerk'`,
          { bind: [input.documentId], type: QueryTypes.SELECT, transaction },
        );
        await notify(
          sequelize,
          transaction,
          clerks.map((c) => ({
            personId: c.person_id,
            kind: 'ready_to_issue',
            documentId: input.documentId,
            message: `Văn bản đã ký, chờ cấp số và phát hành: ${c.subject}`,
            dedupeKey: `${input.workflowId}:ready:${c.person_id}`,
            at: new Date(input.at),
          })),
        );
        return { signedPdfSha256 };
      });
    },

    /** Takes the number from the outgoing register and prepares the seal over number and date. */
    async prepareSeal(input: {
      documentId: string;
      workflowId: string;
      sessionId: string;
      actor: ActorRef;
      certificate: string;
      chain: string[];
      at: string;
      expiresAt: string;
    }): Promise<PreparedSigning> {
      const existing = await session(input.sessionId);
      if (existing) return answer(existing);
      const certificate = fromBase64(input.certificate, 'certificate');
      const chain = input.chain.map((c, i) => fromBase64(c, `chain.${i}`));
      const [seal] = await sequelize.query<{ image: Buffer | null }>(
        `SELECT k.image FROM document d JOIN signing_key k ON k.unit_id = d.issuing_unit_id
          WHERE d.id = $1 AND k.purpose = 'seal' AND k.active ORDER BY k.id DESC LIMIT 1`,
        { bind: [input.documentId], type: QueryTypes.SELECT },
      );
      const [document] = await sequelize.query<{
        signed_pdf_sha256: string;
        issuing_unit_id: number;
        type_code: string;
        party: string | null;
        abbreviation: string;
        subject: string;
      }>(
        `SELECT d.signed_pdf_sha256, d.issuing_unit_id, d.type_code, t.party, u.abbreviation, d.subject
           FROM document d JOIN document_type t ON t.code = d.type_code JOIN org_unit u ON u.id = d.issuing_unit_id
          WHERE d.id = $1`,
        { bind: [input.documentId], type: QueryTypes.SELECT },
      );
      if (!document?.signed_pdf_sha256) {
        throw ApplicationFailure.create({
          type: 'conflict',
          message: 'the document is not signed',
          nonRetryable: true,
        });
      }
      const signedPdf = await getBlob(sequelize, document.signed_pdf_sha256);
      const at = new Date(input.at);
      const { year, month, day } = vietnamDate(at);
      const issueDate = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      // The number is taken and the PDF prepared in one transaction: if preparing fails,
      // the number was never taken.
      return inTransaction(sequelize, async (transaction) => {
        const register = await registerOf(sequelize, transaction, document.issuing_unit_id, 'outgoing');
        const taken = await takeNumber(sequelize, transaction, {
          register,
          typeCode: document.type_code,
          at,
          documentId: input.documentId,
          status: 'reserved',
          recordedBy: input.actor.personId,
          details: { subject: document.subject, type: document.type_code },
          format: (sequence) => partyNumber(sequence, document.party, document.abbreviation),
        });
        const result = await pkiRefusals(async () =>
          preparePdfSignature(signedPdf, {
            certificate,
            chain,
            level: 'B-LTA',
            fieldName: SEAL_FIELD,
            reason: 'Phát hành văn bản',
            // The red seal over the left third of the leader's signature (Nghị định 30/2020, Phụ lục I).
            ...(seal?.image ? { appearance: { image: new Uint8Array(seal.image), text: false } } : {}),
            fill: issuanceFieldValues(taken.sequence, issueDate),
            clock: () => at,
          }),
        );
        await saveSession(transaction, input, 'seal', certificate, result, {
          registerEntryId: taken.entryId,
          number: taken.number,
          issueDate,
        });
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `number-reserved:${input.sessionId}`,
          action: 'number.reserved',
          actor: input.actor,
          detail: { number: taken.number, registerEntryId: taken.entryId, sessionId: input.sessionId },
          at: input.at,
        });
        return {
          sessionId: input.sessionId,
          toBeSigned: Buffer.from(result.toBeSigned).toString('base64'),
          digestAlgorithm: result.hashAlgorithm,
          digest: Buffer.from(result.digest).toString('base64'),
          expiresAt: input.expiresAt,
          number: taken.number,
        };
      });
    },

    async completeSeal(input: {
      documentId: string;
      workflowId: string;
      sessionId: string;
      actor: ActorRef;
      signatureValue: string;
      at: string;
    }): Promise<{ issuedPdfSha256: string; number: string }> {
      const done = await session(input.sessionId);
      if (done?.completed_at) {
        const [row] = await sequelize.query<{ issued_pdf_sha256: string; number: string }>(
          'SELECT issued_pdf_sha256, number FROM document WHERE id = $1',
          { bind: [input.documentId], type: QueryTypes.SELECT },
        );
        return { issuedPdfSha256: row!.issued_pdf_sha256, number: row!.number };
      }
      const { stored } = await openSession(input.sessionId, 'seal', input.actor.personId, input.at);
      const root = pki.services.ca.certificate(pki.services.ca.rootName);
      const issued = await pkiRefusals(() =>
        completePdfSignature(
          stored.pades,
          fromBase64(input.signatureValue, 'signatureValue'),
          undefined,
          undefined,
          {
            timestampAuthority: pki.tsa,
            revocationSource: pki.revocation,
            validationCertificates: [root],
          },
        ),
      );
      return inTransaction(sequelize, async (transaction) => {
        const issuedPdfSha256 = await putBlob(sequelize, issued.pdf, 'application/pdf', transaction);
        await sequelize.query('UPDATE signing_session SET completed_at = $2 WHERE id = $1', {
          bind: [input.sessionId, input.at],
          transaction,
        });
        await sequelize.query(
          `UPDATE register_entry SET status = 'issued', details = details || $2::jsonb WHERE id = $1`,
          {
            bind: [
              stored.registerEntryId,
              JSON.stringify({ issueDate: stored.issueDate, pdfSha256: issuedPdfSha256 }),
            ],
            transaction,
          },
        );
        await setStatus(sequelize, transaction, input.documentId, 'issued', input.at, {
          number: stored.number,
          issued_at: input.at,
          issued_pdf_sha256: issuedPdfSha256,
        });
        const [issuer] = await sequelize.query<{
          issuing_unit_id: number;
          type_code: string;
          subject: string;
        }>('SELECT issuing_unit_id, type_code, subject FROM document WHERE id = $1', {
          bind: [input.documentId],
          type: QueryTypes.SELECT,
          transaction,
        });
        await enqueueWebhook(sequelize, transaction, {
          type: 'document.issued',
          unitIds: [issuer!.issuing_unit_id],
          documentId: input.documentId,
          data: {
            number: stored.number,
            type: issuer!.type_code,
            subject: issuer!.subject,
            pdfSha256: issuedPdfSha256,
          },
          occurredAt: new Date(input.at),
          idempotencyKey: `${input.workflowId}:issued`,
        });
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `issued:${input.sessionId}`,
          action: 'document.issued',
          actor: input.actor,
          detail: { number: stored.number, pdfSha256: issuedPdfSha256, level: issued.level },
          at: input.at,
        });
        return { issuedPdfSha256, number: stored.number! };
      });
    },

    /** A prepared signature nobody completed: closed, and a reserved number cancelled (never reused). */
    async abandonSigning(input: {
      documentId: string;
      workflowId: string;
      sessionId: string;
      reason: string;
      at: string;
    }): Promise<void> {
      await inTransaction(sequelize, async (transaction) => {
        const row = await session(input.sessionId, transaction);
        if (!row || row.completed_at || row.abandoned_at) return;
        const stored = JSON.parse(row.prepared.toString('utf8')) as StoredPreparation;
        await sequelize.query('UPDATE signing_session SET abandoned_at = $2 WHERE id = $1', {
          bind: [input.sessionId, input.at],
          transaction,
        });
        if (stored.registerEntryId) {
          await cancelEntry(sequelize, transaction, stored.registerEntryId, input.reason, new Date(input.at));
        }
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `signing-abandoned:${input.sessionId}`,
          action: stored.number ? 'number.cancelled' : 'signing.abandoned',
          actor: null,
          detail: {
            sessionId: input.sessionId,
            reason: input.reason,
            ...(stored.number ? { number: stored.number } : {}),
          },
          at: input.at,
        });
      });
    },
  };
}
