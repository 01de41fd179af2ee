/**
 * Report requests of the unit I work for (e.g. the monthly branch-meeting report), a form
 * to request reports from every unit of a level under it, and for one request who has
 * and has not submitted, with the compliance chart by the units directly under it
 * (by district, for the city).
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { Layout, UnitSelect, useWorkUnit } from '../components/Layout';
import {
  Busy,
  Button,
  DateInput,
  describedBy,
  ErrorBanner,
  errorFor,
  Field,
  ProgressBar,
  Section,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';

interface RequestSummary {
  id: string;
  title: string;
  period: string;
  dueAt: string;
  expected: number;
  submitted: number;
}

interface Compliance extends RequestSummary {
  missing: Array<{ unitId: number; name: string }>;
  byChild: Array<{ unitId: number; name: string; expected: number; submitted: number }>;
}

const REQUESTERS = ['clerk', 'leader', 'branch_secretary'];

function thisMonth(): string {
  const now = new Date(Date.now() + 7 * 3_600_000);
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function ReportsPage() {
  const { t, date } = useI18n();
  const work = useWorkUnit((u) => u.roles.some((r) => REQUESTERS.includes(r)));
  const unitId = work.unit?.id;
  const list = useLoad(
    async () =>
      unitId ? get<{ items: RequestSummary[] }>(`/org-units/${unitId}/report-requests`) : { items: [] },
    [unitId],
  );
  return (
    <Layout title={t('reportRequests')}>
      <div class="toolbar">
        <UnitSelect {...work} />
      </div>
      <div class="split">
        <Section id="requests" title={t('reportRequests')}>
          {list.loading ? <Busy /> : null}
          <ErrorBanner error={list.error} onRetry={list.reload} />
          {list.data && !list.data.items.length ? <p class="empty">{t('noReportRequests')}</p> : null}
          <ul class="item-list">
            {list.data?.items.map((r) => (
              <li key={r.id} class="item">
                <Link href={`/reports/${r.id}`} class="item-title">
                  {r.title} — {r.period}
                </Link>
                <ProgressBar value={r.submitted} max={r.expected} label={`${r.title}: ${t('submitted')}`} />
                <div class="item-meta muted">
                  {t('dueDate')}: {date(r.dueAt)}
                </div>
              </li>
            ))}
          </ul>
        </Section>
        {unitId ? <RequestForm unitId={unitId} /> : null}
      </div>
    </Layout>
  );
}

function RequestForm({ unitId }: { unitId: number }) {
  const { t, unitKind } = useI18n();
  const [kind, setKind] = useState('branch_meeting_monthly');
  const [title, setTitle] = useState('');
  const [period, setPeriod] = useState(thisMonth());
  const [due, setDue] = useState('');
  const [target, setTarget] = useState('branch');
  const create = useAction(async () => {
    const opened = await post<{ requestId: string }>('/report-requests', {
      requestingUnitId: unitId,
      kind,
      ...(title.trim() ? { title: title.trim() } : {}),
      period,
      dueAt: due ? `${due}T17:00:00+07:00` : '',
      unitKind: target,
    });
    navigate(`/reports/${opened.requestId}`);
  });
  const err = (field: string) => errorFor(create.error, `body.${field}`);
  return (
    <Section id="new-request" title={t('newReportRequest')}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field id="rr-kind" label={t('reportKind')} error={err('kind')}>
          <select
            {...describedBy('rr-kind', undefined, err('kind'))}
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value)}
          >
            <option value="branch_meeting_monthly">{t('kindBranchMeeting')}</option>
            <option value="general">{t('kindGeneral')}</option>
          </select>
        </Field>
        <Field id="rr-title" label={t('reportTitle')} error={err('title')}>
          <input
            {...describedBy('rr-title', undefined, err('title'))}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </Field>
        <div class="field-row">
          <Field id="rr-period" label={t('period')} error={err('period')} required>
            <input
              {...describedBy('rr-period', undefined, err('period'))}
              inputMode="numeric"
              pattern="\d{4}-\d{2}"
              placeholder="2026-11"
              required
              value={period}
              onInput={(e) => setPeriod(e.currentTarget.value)}
            />
          </Field>
          <Field id="rr-due" label={t('dueDate')} hint={t('dateHint')} error={err('dueAt')} required>
            <DateInput
              {...describedBy('rr-due', t('dateHint'), err('dueAt'))}
              required
              value={due}
              onChange={setDue}
            />
          </Field>
        </div>
        <Field id="rr-target" label={t('targetKind')} error={err('unitKind')}>
          <select
            {...describedBy('rr-target', undefined, err('unitKind'))}
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value)}
          >
            {['branch', 'grassroots', 'district'].map((k) => (
              <option key={k} value={k}>
                {unitKind(k)}
              </option>
            ))}
          </select>
        </Field>
        <ErrorBanner
          error={create.error}
          shownFields={['body.kind', 'body.title', 'body.period', 'body.dueAt', 'body.unitKind']}
        />
        <Button type="submit" busy={create.busy}>
          {t('request')}
        </Button>
      </form>
    </Section>
  );
}

export function ReportPage({ id }: { id: string }) {
  const { t, date } = useI18n();
  const report = useLoad(() => get<Compliance>(`/report-requests/${id}`), [id]);
  const r = report.data;
  return (
    <Layout title={r ? `${r.title} — ${r.period}` : t('compliance')}>
      <p>
        <Link href="/reports">← {t('reportRequests')}</Link>
      </p>
      {report.loading ? <Busy /> : null}
      <ErrorBanner error={report.error} onRetry={report.reload} />
      {r ? (
        <div class="grid">
          <Section id="total" title={t('compliance')}>
            <ProgressBar
              value={r.submitted}
              max={r.expected}
              label={t('submitted')}
              tone={r.submitted < r.expected ? 'warn' : 'ok'}
            />
            <p class="muted">
              {t('dueDate')}: {date(r.dueAt)}
            </p>
          </Section>
          <Section id="chart" title={t('chartByChild')}>
            <ComplianceChart rows={r.byChild} />
          </Section>
          <Section id="missing" title={`${t('missing')} (${r.missing.length})`}>
            {r.missing.length ? (
              <ul class="item-list compact">
                {r.missing.map((m) => (
                  <li key={m.unitId} class="item">
                    {m.name}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="empty">{t('none')}</p>
            )}
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}

/** Horizontal bars, one per unit, as a table so a screen reader reads the numbers too. */
function ComplianceChart({ rows }: { rows: Compliance['byChild'] }) {
  const { t } = useI18n();
  return (
    <figure class="chart">
      <table>
        <caption class="visually-hidden">{t('chartByChild')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('unit')}</th>
            <th scope="col">
              {t('submitted')}/{t('expected')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const share = row.expected ? Math.round((row.submitted / row.expected) * 100) : 0;
            return (
              <tr key={row.unitId}>
                <th scope="row">{row.name}</th>
                <td>
                  <div class="bar-cell">
                    <div class="bar" aria-hidden="true">
                      <div
                        class={`bar-fill ${share < 100 ? 'tone-warn' : 'tone-ok'}`}
                        style={{ width: `${share}%` }}
                      />
                    </div>
                    <span>
                      {row.submitted}/{row.expected} ({share}%)
                    </span>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
