/**
 * Reports upward: a unit requests reports from its sub-units (now, or every month by a
 * Temporal Schedule in Asia/Ho_Chi_Minh) and sees who has and has not submitted, overall
 * and by each child unit (the compliance chart by district).
 */
import { randomUUID } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WithStartWorkflowOperation,
} from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { UNIT_KINDS } from '../../domain/org';
import { checkPeriod, periodOf, REPORT_KINDS } from '../../domain/reports';
import {
  openedUpdate,
  REPORT_REQUEST_WORKFLOW,
  type ReportRequestInput,
} from '../../workflows/report-definitions';
import type { reportRequestWorkflow } from '../../workflows/report-request';
import { holdsRole, LEADING_ROLES, OFFICE_ROLES } from '../authorization';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { problem, unitIdParams } from '../schemas';

const REQUESTER_ROLES = [...OFFICE_ROLES, ...LEADING_ROLES];

async function requesterUnit(
  ctx: { sequelize: import('sequelize').Sequelize },
  actor: import('../../db/people').Actor,
  unitId: number,
) {
  const [unit] = await ctx.sequelize.query<{ id: number; path: string; name: string }>(
    'SELECT id, path, name FROM org_unit WHERE id = $1',
    { bind: [unitId], type: QueryTypes.SELECT },
  );
  if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${unitId}`);
  if (!holdsRole(actor, unit.path, REQUESTER_ROLES)) {
    throw new DomainError('forbidden', `only the office or the leaders of ${unit.name} may request reports`);
  }
  return unit;
}

const opened = z.object({
  requestId: z.string(),
  period: z.string(),
  dueAt: z.string(),
  expected: z.number(),
});

const createRequest = defineRoute({
  method: 'post',
  path: '/report-requests',
  operationId: 'requestReports',
  summary: 'Request reports from every sub-unit of a kind (e.g. every branch) for a period, by a deadline',
  tag: 'reports',
  access: { kind: 'role', roles: REQUESTER_ROLES },
  body: z.strictObject({
    requestingUnitId: z.number().int().positive(),
    kind: z.enum(REPORT_KINDS),
    title: z.string().min(1).max(300).optional(),
    period: z.string(),
    dueAt: z.iso.datetime({ offset: true }),
    unitKind: z.enum(UNIT_KINDS).default('branch'),
    escalateAfterMinutes: z
      .number()
      .positive()
      .max(60 * 24 * 30)
      .optional(),
  }),
  responses: {
    201: { description: 'Requested; every expected unit is notified', schema: opened },
    400: problem('Invalid request'),
    403: problem('Not the office or leaders of that unit'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.leadersAndClerks,
    request: (f) => ({
      path: '/report-requests',
      body: {
        requestingUnitId: f.units.district,
        kind: 'general',
        period: periodOf(new Date()),
        dueAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      },
    }),
  },
  async handler({ req, actor, body, ctx }) {
    checkPeriod(body.period, 'body.period');
    if (Date.parse(body.dueAt) <= Date.now())
      throw new DomainError('validation', 'the deadline must be in the future', 'body.dueAt');
    const unit = await requesterUnit(ctx, actor, body.requestingUnitId);
    const input: ReportRequestInput = {
      requestingUnitId: unit.id,
      kind: body.kind,
      ...(body.title ? { title: body.title } : {}),
      target: { unitKind: body.unitKind },
      period: body.period,
      dueAt: body.dueAt,
      createdBy: actor.personId,
      source: req.ip ?? 'unknown',
      ...(body.escalateAfterMinutes ? { escalateAfterMinutes: body.escalateAfterMinutes } : {}),
    };
    const result = await ctx.temporal.workflow.executeUpdateWithStart(openedUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof reportRequestWorkflow>(
        REPORT_REQUEST_WORKFLOW,
        {
          // One request per unit, kind and period: asking twice finds the first.
          workflowId: `report-request-${unit.id}-${body.kind}-${body.period}`,
          taskQueue: ctx.taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [input],
        },
      ),
    });
    return {
      status: 201,
      headers: { Location: `/api/v1/report-requests/${result.requestId}` },
      body: result,
    };
  },
});

const requestIdParams = z.strictObject({ id: z.string().uuid('must be a report request id') });

const compliance = defineRoute({
  method: 'get',
  path: '/report-requests/:id',
  operationId: 'reportCompliance',
  summary: 'Who has and has not submitted, overall and by each child unit of the requester',
  tag: 'reports',
  access: { kind: 'signed_in' },
  params: requestIdParams,
  responses: {
    200: {
      description: 'Compliance',
      schema: z.object({
        id: z.string(),
        title: z.string(),
        period: z.string(),
        dueAt: z.string(),
        expected: z.number(),
        submitted: z.number(),
        missing: z.array(z.object({ unitId: z.number(), name: z.string() })),
        byChild: z.array(
          z.object({ unitId: z.number(), name: z.string(), expected: z.number(), submitted: z.number() }),
        ),
      }),
    },
    404: problem('No such request'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/report-requests/${await f.districtReportRequest()}` }),
  },
  async handler({ actor, params, ctx }) {
    const [request] = await ctx.sequelize.query<{
      id: string;
      title: string;
      period: string;
      due_at: Date;
      requesting_unit_id: number;
      path: string;
    }>(
      `SELECT r.id, r.title, r.period, r.due_at, r.requesting_unit_id, u.path
         FROM report_request r JOIN org_unit u ON u.id = r.requesting_unit_id WHERE r.id = $1`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    if (!request || !holdsRole(actor, request.path))
      throw new DomainError('not_found', `no report request ${params.id}`);
    const [totals] = await ctx.sequelize.query<{ expected: number; submitted: number }>(
      `SELECT count(*)::int AS expected, count(submitted_at)::int AS submitted FROM report_expectation WHERE request_id = $1`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    const missing = await ctx.sequelize.query<{ unit_id: number; name: string }>(
      `SELECT e.unit_id, u.name FROM report_expectation e JOIN org_unit u ON u.id = e.unit_id
        WHERE e.request_id = $1 AND e.submitted_at IS NULL ORDER BY u.id LIMIT 1000`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    const byChild = await ctx.sequelize.query<{
      unit_id: number;
      name: string;
      expected: number;
      submitted: number;
    }>(
      `SELECT c.id AS unit_id, c.name, count(e.unit_id)::int AS expected, count(e.submitted_at)::int AS submitted
         FROM org_unit c
         JOIN org_unit u ON u.path LIKE c.path || '%'
         JOIN report_expectation e ON e.unit_id = u.id AND e.request_id = $1
        WHERE c.parent_id = $2
        GROUP BY c.id, c.name ORDER BY c.id`,
      { bind: [params.id, request.requesting_unit_id], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        id: request.id,
        title: request.title,
        period: request.period,
        dueAt: request.due_at,
        expected: totals!.expected,
        submitted: totals!.submitted,
        missing: missing.map((m) => ({ unitId: m.unit_id, name: m.name })),
        byChild: byChild.map((c) => ({
          unitId: c.unit_id,
          name: c.name,
          expected: c.expected,
          submitted: c.submitted,
        })),
      },
    };
  },
});

const listRequests = defineRoute({
  method: 'get',
  path: '/org-units/:id/report-requests',
  operationId: 'reportRequestsOfUnit',
  summary: 'Report requests a unit has made, newest first',
  tag: 'reports',
  access: { kind: 'signed_in' },
  params: unitIdParams,
  responses: {
    200: {
      description: 'Requests',
      schema: z.object({
        items: z.array(
          z.object({
            id: z.string(),
            title: z.string(),
            period: z.string(),
            dueAt: z.string(),
            expected: z.number(),
            submitted: z.number(),
          }),
        ),
      }),
    },
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: (f) => ({ path: `/org-units/${f.units.district}/report-requests` }),
  },
  async handler({ actor, params, ctx }) {
    const [unit] = await ctx.sequelize.query<{ path: string }>('SELECT path FROM org_unit WHERE id = $1', {
      bind: [params.id],
      type: QueryTypes.SELECT,
    });
    if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${params.id}`);
    const rows = await ctx.sequelize.query<{
      id: string;
      title: string;
      period: string;
      due_at: Date;
      expected: number;
      submitted: number;
    }>(
      `SELECT r.id, r.title, r.period, r.due_at, count(e.unit_id)::int AS expected, count(e.submitted_at)::int AS submitted
         FROM report_request r LEFT JOIN report_expectation e ON e.request_id = r.id
        WHERE r.requesting_unit_id = $1 GROUP BY r.id ORDER BY r.period DESC, r.created_at DESC LIMIT 100`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        items: rows.map((r) => ({
          id: r.id,
          title: r.title,
          period: r.period,
          dueAt: r.due_at,
          expected: r.expected,
          submitted: r.submitted,
        })),
      },
    };
  },
});

const scheduleView = z.object({
  scheduleId: z.string(),
  timezone: z.string(),
  dayOfMonth: z.number(),
  hour: z.number(),
  dueDay: z.number(),
  nextRuns: z.array(z.string()),
});

const scheduleIdOf = (unitId: number, kind: string) => `report-schedule-${unitId}-${kind}`;

const createSchedule = defineRoute({
  method: 'post',
  path: '/report-schedules',
  operationId: 'scheduleMonthlyReports',
  summary:
    'Request a report every month (Temporal Schedule, Asia/Ho_Chi_Minh): e.g. the branch-meeting report, due the 25th',
  tag: 'reports',
  access: { kind: 'role', roles: REQUESTER_ROLES },
  body: z.strictObject({
    requestingUnitId: z.number().int().positive(),
    kind: z.enum(REPORT_KINDS).default('branch_meeting_monthly'),
    unitKind: z.enum(UNIT_KINDS).default('branch'),
    dayOfMonth: z
      .number()
      .int()
      .min(1)
      .max(28)
      .default(1)
      .describe('The day each month the request goes out'),
    hour: z.number().int().min(0).max(23).default(8),
    dueDay: z.number().int().min(1).max(31).default(25),
  }),
  responses: {
    201: { description: 'Scheduled', schema: scheduleView },
    200: { description: 'The existing schedule, changed to these terms', schema: scheduleView },
  },
  accessExamples: {
    allow: ACCESS_GROUPS.leadersAndClerks,
    request: (f) => ({
      path: '/report-schedules',
      body: { requestingUnitId: f.units.district, kind: 'general' },
    }),
  },
  async handler({ actor, body, ctx }) {
    const unit = await requesterUnit(ctx, actor, body.requestingUnitId);
    const scheduleId = scheduleIdOf(unit.id, body.kind);
    const input: ReportRequestInput = {
      requestingUnitId: unit.id,
      kind: body.kind,
      target: { unitKind: body.unitKind },
      dueDay: body.dueDay,
      createdBy: actor.personId,
    };
    try {
      await ctx.temporal.schedule.create({
        scheduleId,
        spec: {
          calendars: [{ dayOfMonth: body.dayOfMonth, hour: body.hour, minute: 0 }],
          timezone: 'Asia/Ho_Chi_Minh',
        },
        action: {
          type: 'startWorkflow',
          workflowType: REPORT_REQUEST_WORKFLOW,
          workflowId: `report-request-${unit.id}-${body.kind}-scheduled-${randomUUID()}`,
          taskQueue: ctx.taskQueue,
          args: [input],
        },
        memo: { requestingUnitId: unit.id, dueDay: body.dueDay },
      });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      // Setting the schedule again changes it: the same unit asks once a month, on the new terms.
      await ctx.temporal.schedule.getHandle(scheduleId).update((previous) => ({
        ...previous,
        spec: {
          calendars: [{ dayOfMonth: body.dayOfMonth, hour: body.hour, minute: 0 }],
          timezone: 'Asia/Ho_Chi_Minh',
        },
        action: { ...previous.action, args: [input] } as typeof previous.action,
      }));
      return { status: 200, body: await describeSchedule(ctx.temporal, scheduleId, body.dueDay) };
    }
    return { status: 201, body: await describeSchedule(ctx.temporal, scheduleId, body.dueDay) };
  },
});

async function describeSchedule(
  temporal: import('@temporalio/client').Client,
  scheduleId: string,
  dueDay: number,
) {
  try {
    const description = await temporal.schedule.getHandle(scheduleId).describe();
    const calendar = description.spec.calendars?.[0];
    const first = (value: unknown): number => {
      const ranges = value as Array<{ start: number }> | undefined;
      return ranges?.[0]?.start ?? 0;
    };
    return {
      scheduleId,
      timezone: description.spec.timezone ?? 'UTC',
      dayOfMonth: first(calendar?.dayOfMonth),
      hour: first(calendar?.hour),
      dueDay,
      nextRuns: description.info.nextActionTimes.map((t) => t.toISOString()),
    };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError)
      throw new DomainError('not_found', `no schedule ${scheduleId}`);
    throw error;
  }
}

const getSchedule = defineRoute({
  method: 'get',
  path: '/org-units/:id/report-schedules/:kind',
  operationId: 'getReportSchedule',
  summary: 'When the next monthly report requests of a unit go out',
  tag: 'reports',
  access: { kind: 'signed_in' },
  params: z.strictObject({ id: z.coerce.number().int().positive(), kind: z.enum(REPORT_KINDS) }),
  responses: { 200: { description: 'The schedule', schema: scheduleView }, 404: problem('Not scheduled') },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => {
      await f.as('clerk.district', 'POST', '/report-schedules', {
        requestingUnitId: f.units.district,
        kind: 'general',
      });
      return { path: `/org-units/${f.units.district}/report-schedules/general` };
    },
  },
  async handler({ actor, params, ctx }) {
    const [unit] = await ctx.sequelize.query<{ path: string }>('SELECT path FROM org_unit WHERE id = $1', {
      bind: [params.id],
      type: QueryTypes.SELECT,
    });
    if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${params.id}`);
    const scheduleId = scheduleIdOf(params.id, params.kind);
    const handle = ctx.temporal.schedule.getHandle(scheduleId);
    const memo = await handle
      .describe()
      .then((d) => d.memo as { dueDay?: number } | undefined)
      .catch(() => undefined);
    return { status: 200, body: await describeSchedule(ctx.temporal, scheduleId, memo?.dueDay ?? 25) };
  },
});

export const reportRoutes = [createRequest, compliance, listRequests, createSchedule, getSchedule];
