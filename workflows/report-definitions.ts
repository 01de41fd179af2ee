/** The public face of the report request workflow, for the api (no workflow code loaded). */
import { defineUpdate } from '@temporalio/workflow';
import type { ReportKind, ReportTarget } from '../domain/reports';

export interface ReportRequestInput {
  requestingUnitId: number;
  kind: ReportKind;
  title?: string;
  target: ReportTarget;
  /** The month reported on; default: the month the workflow started in (scheduled runs). */
  period?: string;
  /** An explicit deadline (ISO); otherwise `dueDay` of the period's month. */
  dueAt?: string;
  dueDay?: number;
  createdBy: number | null;
  source?: string;
  escalateAfterMinutes?: number;
}

export interface OpenedReportRequest {
  requestId: string;
  period: string;
  dueAt: string;
  expected: number;
}

export const REPORT_REQUEST_WORKFLOW = 'reportRequestWorkflow';
export const openedUpdate = defineUpdate<OpenedReportRequest>('opened');
