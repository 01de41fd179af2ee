/**
 * The audit trail for auditors: verify the whole log (every chain and every anchor),
 * list the anchors, and read entries of the units they oversee.
 */
import { z } from 'zod';
import { verifyAuditLog } from '../../db/audit-verify';
import { reachablePathPatterns } from '../authorization';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { defineRoute } from '../route';
import { uuid } from '../schemas';

const AUDITORS = ['auditor.city', 'auditor.district', 'auditor.otherDistrict'] as const;

const findingView = z.object({
  kind: z.enum([
    'altered',
    'deleted',
    'inserted',
    'head_mismatch',
    'rewritten',
    'truncated',
    'anchor_invalid',
    'anchor_untrusted',
  ]),
  chain: z.number().nullable(),
  seq: z.number().nullable(),
  id: z.string().nullable().describe('The audit entry (or anchor) concerned, when there is one'),
  detail: z.string(),
});

const verificationView = z
  .object({
    intact: z.boolean().describe('True only when no finding was made'),
    checkedAt: z.string(),
    chains: z.number(),
    entries: z.number(),
    anchors: z.object({
      checked: z.number(),
      valid: z.number(),
      trustChecked: z.boolean(),
      latest: z.object({ id: z.string(), anchoredAt: z.string(), digest: z.string() }).nullable(),
    }),
    findings: z.array(findingView),
    findingsOmitted: z.number(),
  })
  .meta({ id: 'AuditVerification' });

const anchorView = z
  .object({
    id: z.string(),
    anchoredAt: z.string().describe('The time in the TSA token'),
    digest: z.string().describe('SHA-256 of the canonical JSON of the chain heads'),
    tsaSerial: z.string(),
    heads: z.array(z.object({ chain: z.number(), seq: z.number(), hash: z.string() })),
  })
  .meta({ id: 'AuditAnchor' });

const entryView = z
  .object({
    id: z.string(),
    chain: z.number(),
    seq: z.number(),
    at: z.string(),
    actor: z.object({ personId: z.number(), name: z.string().nullable() }).nullable(),
    actorUnitId: z.number().nullable(),
    source: z.string(),
    action: z.string(),
    documentId: z.string().nullable(),
    versionSha256: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    hash: z.string(),
    prevHash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const verify = defineRoute({
  method: 'get',
  path: '/audit/verify',
  operationId: 'verifyAuditLog',
  summary: 'Verify the audit log: every chain, its head, and every TSA anchor',
  description:
    'Names each altered, deleted or inserted entry by chain, seq and id; a deleted tail shows against the chain heads and the latest anchor timestamped by the TSA. `intact` is true only when nothing was found.',
  tag: 'audit',
  access: { kind: 'role', roles: ['auditor'] },
  responses: { 200: { description: 'The verification report', schema: verificationView } },
  accessExamples: { allow: AUDITORS, request: () => ({ path: '/audit/verify' }) },
  async handler({ ctx }) {
    return { status: 200, body: await verifyAuditLog(ctx.sequelize, { trust: ctx.pki.trust }) };
  },
});

const listAnchors = defineRoute({
  method: 'get',
  path: '/audit/anchors',
  operationId: 'listAuditAnchors',
  summary: 'Timestamped anchors of the audit chain heads, newest first',
  tag: 'audit',
  access: { kind: 'role', roles: ['auditor'] },
  query: pageQuery(),
  responses: { 200: { description: 'A page of anchors', schema: pageOf(anchorView, 'AuditAnchorPage') } },
  accessExamples: { allow: AUDITORS, request: () => ({ path: '/audit/anchors' }) },
  async handler({ query, ctx }) {
    const page = await keysetPage<{
      id: string;
      anchored_at: Date;
      digest: string;
      tsa_serial: string;
      heads: Array<{ chain: number; seq: number; hash: string }>;
    }>(ctx.sequelize, {
      sql: 'SELECT id, anchored_at, digest, tsa_serial, heads FROM audit_anchor',
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return {
      status: 200,
      body: {
        items: page.rows.map((a) => ({
          id: a.id,
          anchoredAt: a.anchored_at.toISOString(),
          digest: a.digest,
          tsaSerial: a.tsa_serial,
          heads: a.heads,
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

const entriesQuery = pageQuery().extend({
  documentId: uuid.optional().describe('Only entries about this document'),
  action: z.string().max(100).optional().describe('Only this action, e.g. document.created'),
});

const listEntries = defineRoute({
  method: 'get',
  path: '/audit/entries',
  operationId: 'listAuditEntries',
  summary: 'Audit entries of the units you oversee, newest first',
  description:
    'An auditor sees entries made by people of their unit or below, and entries about documents issued there. Entries that belong to no unit (system actions, sign-in locks) are shown to auditors of a top-level unit.',
  tag: 'audit',
  access: { kind: 'role', roles: ['auditor'] },
  query: entriesQuery,
  responses: { 200: { description: 'A page of entries', schema: pageOf(entryView, 'AuditEntryPage') } },
  accessExamples: { allow: AUDITORS, request: () => ({ path: '/audit/entries', query: { limit: '20' } }) },
  async handler({ actor, query, ctx }) {
    const patterns = reachablePathPatterns(actor, ['auditor']);
    const topLevel = patterns.some((p) => /^\/\d+\/%$/.test(p));
    const page = await keysetPage<{
      id: string;
      chain: number;
      seq: string;
      at: Date;
      actor_person_id: number | null;
      full_name: string | null;
      actor_unit_id: number | null;
      source: string;
      action: string;
      document_id: string | null;
      version_sha256: string | null;
      detail: Record<string, unknown>;
      hash: string;
      prev_hash: string;
    }>(ctx.sequelize, {
      sql: `SELECT e.id, e.chain, e.seq, e.at, e.actor_person_id, p.full_name, e.actor_unit_id, e.source,
                   e.action, e.document_id, e.version_sha256, e.detail, e.hash, e.prev_hash
              FROM audit_event e
              LEFT JOIN person p ON p.id = e.actor_person_id
              LEFT JOIN org_unit au ON au.id = e.actor_unit_id
              LEFT JOIN document d ON d.id = e.document_id
              LEFT JOIN org_unit du ON du.id = d.issuing_unit_id
             WHERE (au.path LIKE ANY ($1::text[]) OR du.path LIKE ANY ($1::text[])
                    OR (au.id IS NULL AND du.id IS NULL AND $2::boolean))
               AND ($3::uuid IS NULL OR e.document_id = $3::uuid)
               AND ($4::text IS NULL OR e.action = $4::text)`,
      bind: [patterns, topLevel, query.documentId ?? null, query.action ?? null],
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return {
      status: 200,
      body: {
        items: page.rows.map((e) => ({
          id: e.id,
          chain: e.chain,
          seq: Number(e.seq),
          at: e.at.toISOString(),
          actor: e.actor_person_id === null ? null : { personId: e.actor_person_id, name: e.full_name },
          actorUnitId: e.actor_unit_id,
          source: e.source,
          action: e.action,
          documentId: e.document_id,
          versionSha256: e.version_sha256,
          detail: e.detail,
          hash: e.hash,
          prevHash: e.prev_hash,
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

export const auditRoutes = [verify, listAnchors, listEntries];
