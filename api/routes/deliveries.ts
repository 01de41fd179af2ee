/**
 * Recipients: a unit's inbox (văn bản đến), and what its people do with each delivery —
 * read, receive (numbered in the unit's incoming register), return with a reason,
 * assign to a handler with a deadline, start, complete, confirm a recall. These are
 * direct, idempotent database writes: thousands of branches acknowledge at once without
 * touching the document's workflow, which counts them when its deadline fires.
 */
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import {
  applyDeliveryAction,
  type DeliveryAction,
  type DeliveryRow,
  findDelivery,
  type LockedDelivery,
} from '../../db/deliveries';
import type { Actor } from '../../db/people';
import { DomainError } from '../../domain/errors';
import type { Role } from '../../domain/org';
import { holdsRole, LEADING_ROLES, OFFICE_ROLES } from '../authorization';
import {
  ACCESS_GROUPS,
  type AccessFixture,
  defineRoute,
  type FixtureDeliveryState,
  type Persona,
} from '../route';
import { problem, unitIdParams } from '../schemas';

const deliveryIdParams = z.strictObject({ id: z.coerce.number().int().positive('must be a delivery id') });

const deliveryView = z
  .object({
    id: z.number(),
    documentId: z.string(),
    recipientUnitId: z.number(),
    status: z.enum(['delivered', 'received', 'assigned', 'in_progress', 'completed', 'returned', 'recalled']),
    deliveredAt: z.string(),
    readAt: z.string().nullable(),
    receivedAt: z.string().nullable(),
    incomingNumber: z.string().nullable(),
    assigneeId: z.number().nullable(),
    handleDue: z.string().nullable(),
    completedAt: z.string().nullable(),
    returnedReason: z.string().nullable(),
    recalledAt: z.string().nullable(),
    recallConfirmedAt: z.string().nullable(),
  })
  .meta({ id: 'Delivery' });

function view(row: DeliveryRow) {
  return {
    id: Number(row.id),
    documentId: row.document_id,
    recipientUnitId: row.recipient_unit_id,
    status: row.status,
    deliveredAt: row.delivered_at,
    readAt: row.read_at,
    receivedAt: row.received_at,
    incomingNumber: row.incoming_number,
    assigneeId: row.assignee_id,
    handleDue: row.handle_due,
    completedAt: row.completed_at,
    returnedReason: row.returned_reason,
    recalledAt: row.recalled_at,
    recallConfirmedAt: row.recall_confirmed_at,
  };
}

/** Who may take each action, by the roles they hold in the recipient unit (or above it). */
const ACTION_ROLES: Record<DeliveryAction, readonly Role[] | 'any'> = {
  read: 'any',
  receive: OFFICE_ROLES,
  return: OFFICE_ROLES,
  confirm_recall: OFFICE_ROLES,
  assign: LEADING_ROLES,
  start: 'any',
  complete: 'any',
};

/** The delivery if the actor belongs to its recipient unit (or above); else "not found". */
async function deliveryFor(
  ctx: { sequelize: import('sequelize').Sequelize },
  actor: Actor,
  id: number,
): Promise<LockedDelivery> {
  const delivery = await findDelivery(ctx.sequelize, id);
  if (!delivery || !holdsRole(actor, delivery.unit_path))
    throw new DomainError('not_found', `no delivery ${id}`);
  return delivery;
}

/** Whether `actor` may take `action` on the delivery: "not found" outside their units, "forbidden" without the role. */
function refusalFor(actor: Actor, action: DeliveryAction, delivery: LockedDelivery): DomainError | null {
  if (!holdsRole(actor, delivery.unit_path))
    return new DomainError('not_found', `no delivery ${delivery.id}`);
  const roles = ACTION_ROLES[action];
  const mayHandle =
    action === 'start' || action === 'complete'
      ? delivery.assignee_id === actor.personId ||
        holdsRole(actor, delivery.unit_path, [...OFFICE_ROLES, ...LEADING_ROLES])
      : true;
  if ((roles !== 'any' && !holdsRole(actor, delivery.unit_path, roles)) || !mayHandle) {
    return new DomainError('forbidden', `your role in this unit does not allow: ${ACTION_SUMMARIES[action]}`);
  }
  return null;
}

const getDelivery = defineRoute({
  method: 'get',
  path: '/deliveries/:id',
  operationId: 'getDelivery',
  summary: 'One delivery of a document to a recipient unit',
  tag: 'deliveries',
  access: { kind: 'signed_in' },
  params: deliveryIdParams,
  responses: { 200: { description: 'The delivery', schema: deliveryView }, 404: problem('No such delivery') },
  accessExamples: {
    allow: ACCESS_GROUPS.branchAndAbove,
    notFoundFor: ACCESS_GROUPS.beside,
    request: async (f) => ({ path: `/deliveries/${await f.deliveryAt('delivered', true)}` }),
  },
  async handler({ actor, params, ctx }) {
    return { status: 200, body: view(await deliveryFor(ctx, actor, params.id)) };
  },
});

const actionBodies = {
  read: z.strictObject({}),
  receive: z.strictObject({}),
  return: z.strictObject({ reason: z.string().trim().min(1, 'say what is wrong').max(2_000) }),
  assign: z.strictObject({
    assigneeId: z.number().int().positive(),
    handleDue: z.iso.datetime({ offset: true }).optional(),
  }),
  start: z.strictObject({}),
  complete: z.strictObject({}),
  confirm_recall: z.strictObject({}),
} as const;

const ACTION_SUMMARIES: Record<DeliveryAction, string> = {
  read: 'Mark as read',
  receive: 'Receive (tiếp nhận): confirm receipt; the unit’s incoming register gives it a number',
  return: 'Return (trả lại) an invalid document to the sender, with the reason',
  assign: 'Assign (giao xử lý) to a handler of the unit, with a deadline',
  start: 'Start handling (đang xử lý)',
  complete: 'Complete (hoàn thành)',
  confirm_recall: 'Confirm a recall (xác nhận thu hồi)',
};

/** Who may take each action on the persona branch's delivery, and from which state. */
const ACTION_EXAMPLES: Record<
  DeliveryAction,
  {
    allow: readonly Persona[];
    state: FixtureDeliveryState;
    body: (f: AccessFixture) => Promise<unknown> | unknown;
  }
> = {
  read: { allow: ACCESS_GROUPS.branchAndAbove, state: 'delivered', body: () => ({}) },
  receive: { allow: ACCESS_GROUPS.branchOffice, state: 'delivered', body: () => ({}) },
  return: {
    allow: ACCESS_GROUPS.branchOffice,
    state: 'delivered',
    body: () => ({ reason: 'Sai đơn vị nhận (access test)' }),
  },
  assign: {
    allow: ACCESS_GROUPS.branchLeaders,
    state: 'received',
    body: async (f) => ({ assigneeId: await f.personId('dangvien.phucxa1.2') }),
  },
  start: { allow: ACCESS_GROUPS.branchHandlers, state: 'assigned', body: () => ({}) },
  complete: { allow: ACCESS_GROUPS.branchHandlers, state: 'received', body: () => ({}) },
  confirm_recall: { allow: ACCESS_GROUPS.branchOffice, state: 'recalled', body: () => ({}) },
};

function actionRoute<A extends DeliveryAction>(action: A) {
  const path = action === 'confirm_recall' ? 'confirm-recall' : action;
  return defineRoute({
    method: 'post',
    path: `/deliveries/:id/${path}`,
    operationId: `delivery_${action}`,
    summary: ACTION_SUMMARIES[action],
    tag: 'deliveries',
    access: { kind: 'signed_in' },
    params: deliveryIdParams,
    body: actionBodies[action],
    // One delivery per action: every caller allowed repeats the same action on it, which
    // answers as done; the others are refused before anything changes.
    accessExamples: {
      allow: ACTION_EXAMPLES[action].allow,
      notFoundFor: ACCESS_GROUPS.beside,
      request: async (f) => ({
        path: `/deliveries/${await f.deliveryAt(ACTION_EXAMPLES[action].state, true)}/${path}`,
        body: await ACTION_EXAMPLES[action].body(f),
      }),
    },
    responses: {
      200: { description: 'Done (or had already been done)', schema: deliveryView },
      403: problem('Not your role in this unit'),
      404: problem('No such delivery'),
      409: problem('Not possible in the delivery’s state'),
    },
    async handler({ req, actor, params, body, ctx }) {
      const input = body as { reason?: string; assigneeId?: number; handleDue?: string };
      if (action === 'assign') {
        // Rare: checked up front. Every other action is decided in its batch, on the locked row.
        const delivery = await deliveryFor(ctx, actor, params.id);
        const refusal = refusalFor(actor, action, delivery);
        if (refusal) throw refusal;
        const [member] = await ctx.sequelize.query<{ ok: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM role_assignment r JOIN org_unit u ON u.id = r.unit_id
                           WHERE r.person_id = $1 AND u.path LIKE $2 || '%') AS ok`,
          { bind: [input.assigneeId, delivery.unit_path], type: QueryTypes.SELECT },
        );
        if (!member?.ok)
          throw new DomainError('validation', 'the handler must belong to this unit', 'body.assigneeId');
      }
      const { delivery: after } = await applyDeliveryAction(ctx.sequelize, {
        deliveryId: params.id,
        action,
        personId: actor.personId,
        source: req.ip ?? 'unknown',
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.assigneeId ? { assigneeId: input.assigneeId } : {}),
        ...(input.handleDue ? { handleDue: input.handleDue } : {}),
        at: new Date(),
        authorize: (locked) => refusalFor(actor, action, locked),
      });
      return { status: 200, body: view(after) };
    },
  });
}

const inboxQuery = z.strictObject({
  status: z
    .enum(['delivered', 'received', 'assigned', 'in_progress', 'completed', 'returned', 'recalled'])
    .optional(),
  unread: z.enum(['true', 'false']).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  before: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .describe('Cursor: the last delivery id of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const inbox = defineRoute({
  method: 'get',
  path: '/org-units/:id/inbox',
  operationId: 'inbox',
  summary: 'A unit’s inbox (văn bản đến), newest first, with unread and overdue marked',
  tag: 'deliveries',
  access: { kind: 'signed_in' },
  params: unitIdParams,
  query: inboxQuery,
  responses: {
    200: {
      description: 'One page; `next` is the cursor of the following page',
      schema: z.object({
        items: z.array(
          deliveryView.extend({
            number: z.string().nullable(),
            subject: z.string(),
            type: z.string(),
            urgency: z.string(),
            issuer: z.string(),
            responseDue: z.string().nullable(),
            overdue: z.boolean(),
          }),
        ),
        next: z.number().nullable(),
      }),
    },
    404: problem('No such unit'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: (f) => ({ path: `/org-units/${f.units.district}/inbox` }),
  },
  async handler({ actor, params, query, ctx }) {
    const [unit] = await ctx.sequelize.query<{ path: string }>('SELECT path FROM org_unit WHERE id = $1', {
      bind: [params.id],
      type: QueryTypes.SELECT,
    });
    if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${params.id}`);
    const rows = await ctx.sequelize.query<
      DeliveryRow & {
        number: string | null;
        subject: string;
        type_code: string;
        urgency: string;
        issuer: string;
        response_due: Date | null;
      }
    >(
      `SELECT dl.*, d.number, d.subject, d.type_code, d.urgency, u.name AS issuer, d.response_due
         FROM delivery dl JOIN document d ON d.id = dl.document_id JOIN org_unit u ON u.id = d.issuing_unit_id
        WHERE dl.recipient_unit_id = $1
          AND ($2::text IS NULL OR dl.status = $2)
          AND ($3::boolean IS NULL OR (dl.read_at IS NULL) = $3)
          AND ($4::boolean IS NULL OR (d.response_due < now() AND dl.status IN ('delivered','received','assigned','in_progress')) = $4)
          AND ($5::bigint IS NULL OR dl.id < $5)
        ORDER BY dl.id DESC LIMIT $6`,
      {
        bind: [
          params.id,
          query.status ?? null,
          query.unread === undefined ? null : query.unread === 'true',
          query.overdue === undefined ? null : query.overdue === 'true',
          query.before ?? null,
          query.limit,
        ],
        type: QueryTypes.SELECT,
      },
    );
    const now = Date.now();
    return {
      status: 200,
      body: {
        items: rows.map((r) => ({
          ...view(r),
          number: r.number,
          subject: r.subject,
          type: r.type_code,
          urgency: r.urgency,
          issuer: r.issuer,
          responseDue: r.response_due,
          overdue:
            r.response_due !== null &&
            new Date(r.response_due).getTime() < now &&
            ['delivered', 'received', 'assigned', 'in_progress'].includes(r.status),
        })),
        next: rows.length === query.limit ? Number(rows[rows.length - 1]!.id) : null,
      },
    };
  },
});

export const deliveryRoutes = [
  getDelivery,
  inbox,
  ...(['read', 'receive', 'return', 'assign', 'start', 'complete', 'confirm_recall'] as const).map(
    actionRoute,
  ),
];
