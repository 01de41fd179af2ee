/**
 * One report request (e.g. the monthly branch-meeting report of November): opens it —
 * every unit of the target kind under the requester owes one report — then waits for the
 * deadline, reminds the units that have not submitted, and later escalates them to their
 * parents. Started by a person through the api, or every month by a Temporal Schedule in
 * Asia/Ho_Chi_Minh, in which case the period is the month the run started in.
 */
import {
  condition,
  proxyLocalActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReportActivities } from '../activities/reports';
import { monthlyDeadline, periodOf, REPORT_KIND_TITLES } from '../domain/reports';
import { type OpenedReportRequest, openedUpdate, type ReportRequestInput } from './report-definitions';

const { openReportRequest, followUpReports } = proxyLocalActivities<ReportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});

export async function reportRequestWorkflow(input: ReportRequestInput): Promise<{ missing: number }> {
  let opened: OpenedReportRequest | null = null;
  setHandler(openedUpdate, async () => {
    await condition(() => opened !== null);
    return opened!;
  });
  const startedAt = workflowInfo().startTime;
  const period = input.period ?? periodOf(startedAt);
  const dueAt = input.dueAt ?? monthlyDeadline(period, input.dueDay ?? 25);
  const created = await openReportRequest({
    candidateId: uuid4(),
    requestingUnitId: input.requestingUnitId,
    kind: input.kind,
    title: input.title ?? REPORT_KIND_TITLES[input.kind],
    period,
    dueAt,
    target: input.target,
    createdBy: input.createdBy,
    source: input.source ?? `workflow:${workflowInfo().workflowId}`,
    at: startedAt.toISOString(),
  });
  opened = { ...created, period, dueAt };

  const untilDue = Date.parse(dueAt) - Date.now();
  if (untilDue > 0) await sleep(untilDue);
  const reminded = await followUpReports({
    requestId: created.requestId,
    kind: 'reminder',
    at: new Date().toISOString(),
  });
  if (reminded.missing === 0) return reminded;
  await sleep((input.escalateAfterMinutes ?? 24 * 60) * 60_000);
  return followUpReports({ requestId: created.requestId, kind: 'escalation', at: new Date().toISOString() });
}
