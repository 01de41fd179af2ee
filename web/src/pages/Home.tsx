/**
 * What waits for me: documents to approve, to sign, to issue, my drafts; reminders and
 * escalations; documents addressed to me as a member.
 */
import { get } from '../api';
import { Layout } from '../components/Layout';
import { Busy, DocumentStatusBadge, ErrorBanner, Section } from '../components/ui';
import { useLoad } from '../hooks';
import { type MessageKey, useI18n } from '../i18n';
import { Link } from '../router';
import type { Task, Tasks } from '../types';

interface Notification {
  id: number;
  kind: string;
  documentId: string | null;
  message: string;
  createdAt: string;
}
interface Notice {
  documentId: string;
  number: string | null;
  subject: string;
  issuedAt: string | null;
  readAt: string | null;
}

const TASK_LINKS: Record<keyof Tasks, (id: string) => string> = {
  approve: (id) => `/documents/${id}/review`,
  sign: (id) => `/documents/${id}/sign`,
  issue: (id) => `/documents/${id}/issue`,
  drafts: (id) => `/documents/${id}/edit`,
};

const TASK_TITLES: Record<keyof Tasks, MessageKey> = {
  approve: 'toApprove',
  sign: 'toSign',
  issue: 'toIssue',
  drafts: 'myDrafts',
};

export function HomePage() {
  const { t } = useI18n();
  const tasks = useLoad(() => get<Tasks>('/me/tasks'), []);
  const notifications = useLoad(() => get<{ items: Notification[] }>('/me/notifications?limit=10'), []);
  const notices = useLoad(() => get<{ items: Notice[] }>('/me/notices?limit=10'), []);
  const lists = (['approve', 'sign', 'issue', 'drafts'] as const).filter((k) => tasks.data?.[k].length);
  return (
    <Layout title={t('home')}>
      {tasks.loading && !tasks.data ? <Busy /> : null}
      <ErrorBanner error={tasks.error} onRetry={tasks.reload} />
      {tasks.data && lists.length === 0 ? <p class="empty">{t('nothingWaiting')}</p> : null}
      <div class="grid">
        {lists.map((key) => (
          <Section
            key={key}
            id={`tasks-${key}`}
            title={`${t(TASK_TITLES[key])} (${tasks.data![key].length})`}
          >
            <TaskList tasks={tasks.data![key]} link={TASK_LINKS[key]} />
          </Section>
        ))}
        {notifications.data?.items.length ? (
          <Section id="notifications" title={t('notifications')}>
            <NotificationList items={notifications.data.items} />
          </Section>
        ) : null}
        {notices.data?.items.length ? (
          <Section id="notices" title={t('notices')}>
            <NoticeList items={notices.data.items} />
          </Section>
        ) : null}
      </div>
    </Layout>
  );
}

function TaskList({ tasks, link }: { tasks: Task[]; link: (id: string) => string }) {
  const { dateTime, t } = useI18n();
  return (
    <ul class="item-list">
      {tasks.map((task) => (
        <li key={task.documentId} class="item">
          <Link href={link(task.documentId)} class="item-title">
            {task.subject}
          </Link>
          <div class="item-meta">
            <DocumentStatusBadge status={task.status} />
            <span>{task.issuer}</span>
            {task.step ? <span>{task.step}</span> : null}
            {task.dueAt ? (
              <span>
                {t('due')}: {dateTime(task.dueAt)}
              </span>
            ) : null}
            <span class="muted">{dateTime(task.updatedAt)}</span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function NotificationList({ items }: { items: Notification[] }) {
  const { dateTime } = useI18n();
  return (
    <ul class="item-list">
      {items.map((n) => (
        <li key={n.id} class="item">
          {n.documentId ? (
            <Link href={`/documents/${n.documentId}`}>{n.message}</Link>
          ) : (
            <span>{n.message}</span>
          )}
          <div class="item-meta muted">{dateTime(n.createdAt)}</div>
        </li>
      ))}
    </ul>
  );
}

function NoticeList({ items }: { items: Notice[] }) {
  const { date, t } = useI18n();
  return (
    <ul class="item-list">
      {items.map((n) => (
        <li key={n.documentId} class={`item${n.readAt ? '' : ' unread'}`}>
          <Link href={`/documents/${n.documentId}?notice=1`} class="item-title">
            {n.number ? `${n.number} — ` : ''}
            {n.subject}
          </Link>
          <div class="item-meta">
            {n.readAt ? null : <span class="badge tone-info">{t('unread')}</span>}
            <span class="muted">{date(n.issuedAt)}</span>
          </div>
        </li>
      ))}
    </ul>
  );
}
