/**
 * The inbox (văn bản đến) of the unit I work for, newest first, unread and overdue
 * marked; and one delivery with the document, its signatures, and what the unit does
 * with it: receive (numbered in the incoming register), return, assign, start, complete,
 * confirm a recall.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, getBytes, post, qs } from '../api';
import { Layout, UnitSelect, useWorkUnit } from '../components/Layout';
import { PdfView } from '../components/PdfView';
import { SignatureReportView } from '../components/SignatureReport';
import {
  Busy,
  Button,
  DateInput,
  DeliveryStatusBadge,
  describedBy,
  ErrorBanner,
  errorFor,
  Fact,
  Field,
  Notice,
  Section,
  TextAreaField,
  UrgencyBadge,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import type { Delivery, DocumentContent, InboxItem, UnitPerson, VerificationReport } from '../types';

type Filter = 'all' | 'unread' | 'overdue';

export function InboxPage() {
  const { t } = useI18n();
  const work = useWorkUnit();
  const { path, query } = useLocation();
  const filter = (query.get('show') as Filter | null) ?? 'all';
  const [pages, setPages] = useState<InboxItem[][]>([]);
  const [next, setNext] = useState<number | null>(null);
  const unitId = work.unit?.id;
  const first = useLoad(async () => {
    if (!unitId) return { items: [], next: null };
    return get<{ items: InboxItem[]; next: number | null }>(
      `/org-units/${unitId}/inbox${qs({
        unread: filter === 'unread' ? 'true' : undefined,
        overdue: filter === 'overdue' ? 'true' : undefined,
        limit: 30,
      })}`,
    );
  }, [unitId, filter]);
  useEffect(() => {
    setPages(first.data ? [first.data.items] : []);
    setNext(first.data?.next ?? null);
  }, [first.data]);
  const more = useAction(async () => {
    const page = await get<{ items: InboxItem[]; next: number | null }>(
      `/org-units/${unitId}/inbox${qs({
        unread: filter === 'unread' ? 'true' : undefined,
        overdue: filter === 'overdue' ? 'true' : undefined,
        before: next,
        limit: 30,
      })}`,
    );
    setPages((p) => [...p, page.items]);
    setNext(page.next);
  });
  const items = pages.flat();
  const setFilter = (value: Filter) => {
    const params = new URLSearchParams(query);
    if (value === 'all') params.delete('show');
    else params.set('show', value);
    navigate(`${path}${params.size ? `?${params}` : ''}`, { replace: true });
  };
  return (
    <Layout title={t('inbox')}>
      <div class="toolbar">
        <UnitSelect {...work} />
        <fieldset class="segmented">
          <legend class="visually-hidden">{t('filter')}</legend>
          {(['all', 'unread', 'overdue'] as const).map((value) => (
            <label key={value} class={filter === value ? 'on' : ''}>
              <input
                type="radio"
                name="inbox-filter"
                value={value}
                checked={filter === value}
                onChange={() => setFilter(value)}
              />
              {value === 'all' ? t('all') : t(value)}
            </label>
          ))}
        </fieldset>
      </div>
      {first.loading ? <Busy /> : null}
      <ErrorBanner error={first.error} onRetry={first.reload} />
      {!first.loading && items.length === 0 && !first.error ? <p class="empty">{t('inboxEmpty')}</p> : null}
      <ul class="item-list inbox" aria-label={t('inbox')}>
        {items.map((item) => (
          <InboxRow key={item.id} item={item} />
        ))}
      </ul>
      <ErrorBanner error={more.error} />
      {next ? (
        <Button variant="secondary" busy={more.busy} onClick={() => void more.run()}>
          {t('more')}
        </Button>
      ) : null}
    </Layout>
  );
}

function InboxRow({ item }: { item: InboxItem }) {
  const { t, date } = useI18n();
  const unread = item.readAt === null;
  return (
    <li class={`item${unread ? ' unread' : ''}${item.overdue ? ' overdue' : ''}`} data-delivery={item.id}>
      <Link href={`/inbox/${item.id}`} class="item-title">
        {unread ? <span class="visually-hidden">{t('unread')}: </span> : null}
        {item.number ? `${item.number} — ` : ''}
        {item.subject}
      </Link>
      <div class="item-meta">
        {unread ? <span class="badge tone-info">{t('unread')}</span> : null}
        {item.overdue ? <span class="badge tone-bad">{t('overdue')}</span> : null}
        <DeliveryStatusBadge status={item.status} />
        <UrgencyBadge urgency={item.urgency} />
        <span>{item.issuer}</span>
        <span class="muted">
          {t('deliveredAt')}: {date(item.deliveredAt)}
        </span>
        {item.responseDue ? (
          <span class={item.overdue ? 'text-bad' : 'muted'}>
            {t('due')}: {date(item.responseDue)}
          </span>
        ) : null}
      </div>
    </li>
  );
}

// ------------------------------------------------------------------ one delivery

export function DeliveryPage({ id }: { id: string }) {
  const { t, date, dateTime } = useI18n();
  const delivery = useLoad(() => get<Delivery>(`/deliveries/${id}`), [id]);
  const documentId = delivery.data?.documentId;
  const doc = useLoad(
    async () => (documentId ? get<DocumentContent>(`/documents/${documentId}/content`) : undefined),
    [documentId],
  );
  const pdf = useLoad(
    async () => (documentId ? getBytes(`/documents/${documentId}/pdf`) : null),
    [documentId],
  );
  const signatures = useLoad(
    async () =>
      documentId
        ? get<{ pdf: string | null; report: VerificationReport | null }>(
            `/documents/${documentId}/signatures`,
          )
        : undefined,
    [documentId],
  );
  const [current, setCurrent] = useState<Delivery | undefined>();
  useEffect(() => setCurrent(delivery.data), [delivery.data]);

  // Opening it is reading it.
  useEffect(() => {
    if (delivery.data && delivery.data.readAt === null) {
      post<Delivery>(`/deliveries/${id}/read`).then(setCurrent, () => undefined);
    }
  }, [delivery.data, id]);

  const title = doc.data ? `${doc.data.typeName}: ${doc.data.subject}` : t('inbox');
  return (
    <Layout title={title}>
      <p>
        <Link href="/inbox">← {t('inbox')}</Link>
      </p>
      {delivery.loading ? <Busy /> : null}
      <ErrorBanner error={delivery.error ?? doc.error} onRetry={delivery.reload} />
      {current && doc.data ? (
        <div class="split">
          <div>
            <Section id="delivery" title={doc.data.number ?? doc.data.typeName}>
              <dl class="facts">
                <Fact term={t('status')}>
                  <DeliveryStatusBadge status={current.status} />
                </Fact>
                <Fact term={t('issuer')}>{doc.data.issuingUnit.name}</Fact>
                <Fact term={t('issuedAt')}>{date(doc.data.issuedAt)}</Fact>
                <Fact term={t('deliveredAt')}>{dateTime(current.deliveredAt)}</Fact>
                {current.incomingNumber ? (
                  <Fact term={t('incomingNumber')}>{current.incomingNumber}</Fact>
                ) : null}
                {doc.data.responseDue ? <Fact term={t('due')}>{date(doc.data.responseDue)}</Fact> : null}
                {current.handleDue ? <Fact term={t('handleDue')}>{date(current.handleDue)}</Fact> : null}
                {current.returnedReason ? (
                  <Fact term={t('returnReason')}>{current.returnedReason}</Fact>
                ) : null}
              </dl>
            </Section>
            <DeliveryActions delivery={current} onChange={setCurrent} />
            <Section id="signatures" title={t('signatures')}>
              {signatures.loading ? <Busy label={t('verifying')} /> : null}
              <ErrorBanner error={signatures.error} onRetry={signatures.reload} />
              {signatures.data?.report ? <SignatureReportView report={signatures.data.report} /> : null}
            </Section>
          </div>
          <Section id="pdf" title={t('pdf')}>
            <ErrorBanner error={pdf.error} onRetry={pdf.reload} />
            <PdfView
              bytes={pdf.data ?? null}
              title={doc.data.subject}
              downloadName={`${(doc.data.number ?? doc.data.id).replace(/[^0-9A-Za-z-]+/g, '_')}.pdf`}
            />
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}

function DeliveryActions({ delivery, onChange }: { delivery: Delivery; onChange(d: Delivery): void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [returning, setReturning] = useState(false);
  const [assigning, setAssigning] = useState(false);
  const act = useAction(async (path: string, body: unknown = {}) => {
    onChange(await post<Delivery>(`/deliveries/${delivery.id}/${path}`, body));
    setReturning(false);
    setAssigning(false);
  });
  const s = delivery.status;
  const canReceive = s === 'delivered';
  const canAssign = s === 'received';
  const canStart = s === 'assigned';
  const canComplete = s === 'received' || s === 'assigned' || s === 'in_progress';
  const mustConfirmRecall = s === 'recalled' && !delivery.recallConfirmedAt;
  if (!canReceive && !canAssign && !canStart && !canComplete && !mustConfirmRecall) {
    return act.done ? <Notice tone="ok">{t('deliveryDone')}</Notice> : null;
  }
  return (
    <Section id="actions" title={t('actions')}>
      {mustConfirmRecall ? <Notice tone="warn">{t('recalledNotice')}</Notice> : null}
      <ErrorBanner error={act.error} shownFields={['body.reason', 'body.assigneeId', 'body.handleDue']} />
      {act.done ? <Notice tone="ok">{t('deliveryDone')}</Notice> : null}
      <div class="button-row">
        {canReceive ? (
          <Button busy={act.busy} onClick={() => void act.run('receive')}>
            {t('receive')}
          </Button>
        ) : null}
        {canReceive ? (
          <Button variant="secondary" onClick={() => setReturning(!returning)} aria-expanded={returning}>
            {t('return')}
          </Button>
        ) : null}
        {canAssign ? (
          <Button variant="secondary" onClick={() => setAssigning(!assigning)} aria-expanded={assigning}>
            {t('assign')}
          </Button>
        ) : null}
        {canStart ? (
          <Button variant="secondary" busy={act.busy} onClick={() => void act.run('start')}>
            {t('start')}
          </Button>
        ) : null}
        {canComplete ? (
          <Button busy={act.busy} onClick={() => void act.run('complete')}>
            {t('complete')}
          </Button>
        ) : null}
        {mustConfirmRecall ? (
          <Button busy={act.busy} onClick={() => void act.run('confirm-recall')}>
            {t('confirmRecall')}
          </Button>
        ) : null}
      </div>
      {returning ? (
        <form
          class="form inset"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run('return', { reason });
          }}
        >
          <TextAreaField
            id="return-reason"
            label={t('returnReason')}
            error={errorFor(act.error, 'body.reason')}
            required
            rows={3}
            value={reason}
            onValue={setReason}
          />
          <Button type="submit" variant="danger" busy={act.busy}>
            {t('return')}
          </Button>
        </form>
      ) : null}
      {assigning ? (
        <AssignForm
          delivery={delivery}
          onAssign={(body) => void act.run('assign', body)}
          busy={act.busy}
          error={act.error}
        />
      ) : null}
    </Section>
  );
}

function AssignForm({
  delivery,
  onAssign,
  busy,
  error,
}: {
  delivery: Delivery;
  onAssign(body: { assigneeId: number; handleDue?: string }): void;
  busy: boolean;
  error: ReturnType<typeof useAction>['error'];
}) {
  const { t } = useI18n();
  const people = useLoad(
    () => get<{ items: UnitPerson[] }>(`/org-units/${delivery.recipientUnitId}/people`),
    [delivery.recipientUnitId],
  );
  const [assignee, setAssignee] = useState('');
  const [due, setDue] = useState('');
  return (
    <form
      class="form inset"
      onSubmit={(e) => {
        e.preventDefault();
        onAssign({
          assigneeId: Number(assignee),
          // The end of the office day, Vietnam time.
          ...(due ? { handleDue: `${due}T17:00:00+07:00` } : {}),
        });
      }}
    >
      {people.loading ? <Busy /> : null}
      <ErrorBanner error={people.error} onRetry={people.reload} />
      <Field id="assignee" label={t('assignee')} error={errorFor(error, 'body.assigneeId')} required>
        <select
          {...describedBy('assignee', undefined, errorFor(error, 'body.assigneeId'))}
          required
          value={assignee}
          onChange={(e) => setAssignee(e.currentTarget.value)}
        >
          <option value="">{t('chooseAssignee')}</option>
          {people.data?.items.map((p) => (
            <option key={p.personId} value={p.personId}>
              {p.fullName}
              {p.roles.some((r) => r.title) ? ` — ${p.roles.find((r) => r.title)?.title}` : ''}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id="handle-due"
        label={t('handleDue')}
        hint={t('dateHint')}
        error={errorFor(error, 'body.handleDue')}
      >
        <DateInput
          {...describedBy('handle-due', t('dateHint'), errorFor(error, 'body.handleDue'))}
          value={due}
          onChange={setDue}
        />
      </Field>
      <Button type="submit" busy={busy}>
        {t('assign')}
      </Button>
    </form>
  );
}
