/**
 * The unit's documents (văn bản đi), and the page of one document: its facts, what I may
 * do with it now, its PDF, the signature panel (who signed, valid or not, PAdES level),
 * the approval chain with comments, and its timeline from the audit log.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, getBytes, post, postForBytes, qs } from '../api';
import { Layout, UnitSelect, useWorkUnit } from '../components/Layout';
import { PdfView } from '../components/PdfView';
import { SignatureReportView } from '../components/SignatureReport';
import {
  Busy,
  Button,
  DocumentStatusBadge,
  ErrorBanner,
  errorFor,
  Fact,
  Notice,
  Section,
  TextAreaField,
  UrgencyBadge,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { type MessageKey, useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import type { ApprovalStepView, DocumentContent, Page, TimelineEvent, VerificationReport } from '../types';

interface UnitDocument {
  id: string;
  number: string | null;
  type: string;
  subject: string;
  status: string;
  urgency: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  issuedAt: string | null;
  deliveries: number;
}

const STATUS_FILTERS = ['', 'draft', 'in_review', 'approved', 'signed', 'dispatched', 'recalled'] as const;
const STAFF = ['clerk', 'drafter', 'leader', 'signer', 'branch_secretary', 'auditor', 'admin'];

export function DocumentsPage() {
  const { t, date, documentStatus } = useI18n();
  const work = useWorkUnit((u) => u.roles.some((r) => STAFF.includes(r)));
  const { path, query } = useLocation();
  const status = query.get('status') ?? '';
  const [q, setQ] = useState(query.get('q') ?? '');
  const [items, setItems] = useState<UnitDocument[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const unitId = work.unit?.id;
  const first = useLoad(
    async () =>
      unitId
        ? get<Page<UnitDocument>>(
            `/org-units/${unitId}/documents${qs({ status, q: query.get('q'), limit: 30 })}`,
          )
        : { items: [], nextCursor: null },
    [unitId, status, query.get('q')],
  );
  useEffect(() => {
    setItems(first.data?.items ?? []);
    setCursor(first.data?.nextCursor ?? null);
  }, [first.data]);
  const more = useAction(async () => {
    const page = await get<Page<UnitDocument>>(
      `/org-units/${unitId}/documents${qs({ status, q: query.get('q'), limit: 30, cursor })}`,
    );
    setItems((list) => [...list, ...page.items]);
    setCursor(page.nextCursor);
  });
  const setParam = (name: string, value: string) => {
    const params = new URLSearchParams(query);
    if (value) params.set(name, value);
    else params.delete(name);
    navigate(`${path}${params.size ? `?${params}` : ''}`, { replace: true });
  };
  return (
    <Layout title={t('outbox')}>
      <div class="toolbar">
        <UnitSelect {...work} />
        <Link href="/documents/new" class="button primary">
          + {t('newDocument')}
        </Link>
      </div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setParam('q', q.trim());
        }}
      >
        <div class="field inline">
          <label for="doc-status">{t('status')}</label>
          <select id="doc-status" value={status} onChange={(e) => setParam('status', e.currentTarget.value)}>
            {STATUS_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s ? documentStatus(s) : t('all')}
              </option>
            ))}
          </select>
        </div>
        <div class="field inline grow">
          <label for="doc-search">{t('search')}</label>
          <input id="doc-search" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button secondary">
          {t('search')}
        </button>
      </form>
      {first.loading ? <Busy /> : null}
      <ErrorBanner error={first.error} onRetry={first.reload} />
      {!first.loading && !items.length && !first.error ? <p class="empty">{t('outboxEmpty')}</p> : null}
      <ul class="item-list">
        {items.map((d) => (
          <li class="item" key={d.id}>
            <Link href={`/documents/${d.id}`} class="item-title">
              {d.number ? `${d.number} — ` : ''}
              {d.subject}
            </Link>
            <div class="item-meta">
              <DocumentStatusBadge status={d.status} />
              <UrgencyBadge urgency={d.urgency} />
              {d.createdBy ? <span>{d.createdBy}</span> : null}
              <span class="muted">{date(d.issuedAt ?? d.updatedAt)}</span>
            </div>
          </li>
        ))}
      </ul>
      <ErrorBanner error={more.error} />
      {cursor ? (
        <Button variant="secondary" busy={more.busy} onClick={() => void more.run()}>
          {t('more')}
        </Button>
      ) : null}
    </Layout>
  );
}

// ------------------------------------------------------------------ one document

export function DocumentPage({ id }: { id: string }) {
  const { t, date, urgency } = useI18n();
  const { query } = useLocation();
  const doc = useLoad(() => get<DocumentContent>(`/documents/${id}/content`), [id]);
  // Opened from the notices addressed to me as a member: that is reading it.
  const notice = query.get('notice') === '1';
  useEffect(() => {
    if (notice) post(`/documents/${id}/read`).catch(() => undefined);
  }, [id, notice]);
  const d = doc.data;
  const pdf = useLoad(async () => {
    if (!d) return null;
    if (d.hasPdf) return getBytes(`/documents/${id}/pdf`);
    // A draft: the preview of its current version, when the reader may draft for the unit.
    if (!d.actions.includes('edit') && !d.actions.includes('decide')) return null;
    return postForBytes('/documents/preview', {
      id,
      type: d.type,
      urgency: d.urgency,
      issuingUnitId: d.issuingUnit.id,
      ...d.content,
    });
  }, [d?.sha256, d?.status, d?.hasPdf]);
  const signed = d && ['signed', 'issued', 'dispatched', 'closed', 'recalled'].includes(d.status);
  const signatures = useLoad(
    async () =>
      signed
        ? get<{ pdf: string | null; report: VerificationReport | null }>(`/documents/${id}/signatures`)
        : null,
    [id, signed, d?.status],
  );
  const timeline = useLoad(
    async () =>
      d?.actions.includes('timeline') ? get<{ events: TimelineEvent[] }>(`/documents/${id}/timeline`) : null,
    [id, d?.status, d?.version],
  );

  return (
    <Layout title={d ? `${d.typeName}: ${d.subject}` : t('loading')}>
      {doc.loading && !d ? <Busy /> : null}
      <ErrorBanner error={doc.error} onRetry={doc.reload} />
      {d ? (
        <div class="split">
          <div>
            <Section id="facts" title={d.number ? `${t('number')} ${d.number}` : d.typeName}>
              <dl class="facts">
                <Fact term={t('status')}>
                  <DocumentStatusBadge status={d.status} />
                </Fact>
                <Fact term={t('documentType')}>{d.typeName}</Fact>
                <Fact term={t('urgency')}>{urgency(d.urgency)}</Fact>
                <Fact term={t('issuingUnit')}>{d.issuingUnit.name}</Fact>
                <Fact term={t('createdBy')}>{d.createdBy.name ?? '—'}</Fact>
                <Fact term={t('signer')}>{d.signer?.name ?? '—'}</Fact>
                {d.issuedAt ? <Fact term={t('issuedAt')}>{date(d.issuedAt)}</Fact> : null}
                {d.responseDue ? <Fact term={t('responseDue')}>{date(d.responseDue)}</Fact> : null}
                <Fact term={t('version')}>{d.version}</Fact>
              </dl>
            </Section>
            <DocumentActions doc={d} onChanged={doc.reload} />
            {d.approval.length ? <ApprovalChain steps={d.approval} /> : null}
            {signed ? (
              <Section id="signatures" title={t('signatures')}>
                {signatures.loading ? <Busy label={t('verifying')} /> : null}
                <ErrorBanner error={signatures.error} onRetry={signatures.reload} />
                {signatures.data?.report ? <SignatureReportView report={signatures.data.report} /> : null}
              </Section>
            ) : null}
            {timeline.data ? <Timeline events={timeline.data.events} /> : null}
          </div>
          <Section id="pdf" title={d.hasPdf ? t('pdf') : t('preview')}>
            {pdf.loading ? <Busy label={t('renderingPdf')} /> : null}
            <ErrorBanner error={pdf.error} onRetry={pdf.reload} />
            {!pdf.loading && !pdf.data && !pdf.error ? <p class="empty">{t('noPdfYet')}</p> : null}
            <PdfView
              bytes={pdf.data ?? null}
              title={d.subject}
              {...(d.hasPdf
                ? { downloadName: `${(d.number ?? d.id).replace(/[^0-9A-Za-z-]+/g, '_')}.pdf` }
                : {})}
            />
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}

function DocumentActions({ doc, onChanged }: { doc: DocumentContent; onChanged(): void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<'recall' | 'cancel' | undefined>();
  const [reason, setReason] = useState('');
  const act = useAction(async (path: string, body: unknown = {}) => {
    await post(`/documents/${doc.id}/${path}`, body);
    setOpen(undefined);
    setReason('');
    onChanged();
  });
  const a = doc.actions;
  const links: Array<[string, string, MessageKey]> = [];
  if (a.includes('edit')) links.push(['edit', `/documents/${doc.id}/edit`, 'editDraft']);
  if (a.includes('decide')) links.push(['decide', `/documents/${doc.id}/review`, 'review']);
  if (a.includes('sign')) links.push(['sign', `/documents/${doc.id}/sign`, 'sign']);
  if (a.includes('issue')) links.push(['issue', `/documents/${doc.id}/issue`, 'issue']);
  if (a.includes('progress')) links.push(['progress', `/documents/${doc.id}/progress`, 'progressLink']);
  const buttons = a.includes('submit') || a.includes('close') || a.includes('recall') || a.includes('cancel');
  if (!links.length && !buttons) return null;
  return (
    <Section id="actions" title={t('actions')}>
      <ErrorBanner error={act.error} shownFields={['body.reason']} />
      <div class="button-row">
        {links.map(([key, href, label], i) => (
          <Link key={key} href={href} class={`button ${i === 0 ? 'primary' : 'secondary'}`}>
            {t(label)}
          </Link>
        ))}
        {a.includes('submit') ? (
          <Button
            variant="secondary"
            busy={act.busy}
            onClick={() => void act.run('submit', { version: doc.version })}
          >
            {t('submitForApproval')}
          </Button>
        ) : null}
        {a.includes('close') ? (
          <Button variant="secondary" busy={act.busy} onClick={() => void act.run('close')}>
            {t('closeDocument')}
          </Button>
        ) : null}
        {a.includes('recall') ? (
          <Button
            variant="danger"
            aria-expanded={open === 'recall'}
            onClick={() => setOpen(open === 'recall' ? undefined : 'recall')}
          >
            {t('recall')}
          </Button>
        ) : null}
        {a.includes('cancel') ? (
          <Button
            variant="danger"
            aria-expanded={open === 'cancel'}
            onClick={() => setOpen(open === 'cancel' ? undefined : 'cancel')}
          >
            {t('cancelDocument')}
          </Button>
        ) : null}
      </div>
      {open ? (
        <form
          class="form inset"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(open, { reason });
          }}
        >
          <TextAreaField
            id="reason"
            label={open === 'recall' ? t('recallReason') : t('cancelReason')}
            error={errorFor(act.error, 'body.reason')}
            required
            rows={3}
            value={reason}
            onValue={setReason}
          />
          <Button type="submit" variant="danger" busy={act.busy}>
            {open === 'recall' ? t('recall') : t('cancelDocument')}
          </Button>
        </form>
      ) : null}
      {act.done ? <Notice tone="ok">{t('deliveryDone')}</Notice> : null}
    </Section>
  );
}

const DECISION_KEYS: Record<string, MessageKey> = {
  approve: 'decisionApprove',
  return: 'decisionReturn',
  reject: 'decisionReject',
};

export function ApprovalChain({ steps }: { steps: ApprovalStepView[] }) {
  const { t, dateTime } = useI18n();
  return (
    <Section id="approval" title={t('approvalChain')}>
      <ol class="steps">
        {steps.map((step) => (
          <li key={step.step} class={`step step-${step.status}`}>
            <strong>{step.label}</strong>
            <ul>
              {step.approvers.map((a) => (
                <li key={a.personId}>
                  {a.name ?? a.personId}:{' '}
                  {a.decision ? (
                    <>
                      <span class={`badge tone-${a.decision === 'approve' ? 'ok' : 'bad'}`}>
                        {t(DECISION_KEYS[a.decision]!)}
                      </span>{' '}
                      <span class="muted">{dateTime(a.at)}</span>
                      {a.comment ? <blockquote class="comment">{a.comment}</blockquote> : null}
                    </>
                  ) : (
                    <span class="muted">{t('waiting')}</span>
                  )}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </Section>
  );
}

function Timeline({ events }: { events: TimelineEvent[] }) {
  const { t, dateTime, action } = useI18n();
  return (
    <Section id="timeline" title={t('timeline')}>
      <ol class="timeline">
        {events.map((e) => (
          <li key={e.seq}>
            <time dateTime={e.at}>{dateTime(e.at)}</time>{' '}
            <strong>{action(e.detail.final === true ? `${e.action}.final` : e.action)}</strong>
            {e.actor?.name ? <span> — {e.actor.name}</span> : null}
            {typeof e.detail.number === 'string' ? <span> ({e.detail.number})</span> : null}
            {typeof e.detail.comment === 'string' ? (
              <blockquote class="comment">{e.detail.comment}</blockquote>
            ) : null}
          </li>
        ))}
      </ol>
    </Section>
  );
}
