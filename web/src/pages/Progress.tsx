/**
 * Dispatch tracking: how far a document has got with its recipients — counts by status,
 * the overdue ones by name — and the same for each unit under the scope, drilling down
 * city → district → grassroots → branch.
 */
import { get, qs } from '../api';
import { Layout } from '../components/Layout';
import { Busy, DeliveryStatusBadge, ErrorBanner, ProgressBar, Section } from '../components/ui';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link, useLocation } from '../router';
import type { DocumentContent, Progress } from '../types';

const ORDER = ['delivered', 'received', 'assigned', 'in_progress', 'completed', 'returned', 'recalled'];

export function ProgressPage({ id }: { id: string }) {
  const { t, deliveryStatus } = useI18n();
  const { query } = useLocation();
  const trail = (query.get('trail') ?? '').split(',').map(Number).filter(Boolean);
  const under = trail[trail.length - 1];
  const doc = useLoad(() => get<DocumentContent>(`/documents/${id}/content`), [id]);
  const progress = useLoad(() => get<Progress>(`/documents/${id}/progress${qs({ under })}`), [id, under]);
  const names = useLoad(
    () => Promise.all(trail.map((unit) => get<{ id: number; name: string }>(`/org-units/${unit}`))),
    [trail.join(',')],
  );
  const p = progress.data;
  const link = (ids: number[]) => `/documents/${id}/progress${qs({ trail: ids.join(',') })}`;
  return (
    <Layout title={doc.data ? `${t('progress')}: ${doc.data.number ?? doc.data.subject}` : t('progress')}>
      <p>
        <Link href={`/documents/${id}`}>← {doc.data?.subject ?? t('back')}</Link>
      </p>
      <nav aria-label={t('scope')} class="breadcrumbs">
        <ol>
          <li>
            {trail.length ? (
              <Link href={link([])}>{doc.data?.issuingUnit.name ?? '…'}</Link>
            ) : (
              <span aria-current="page">{doc.data?.issuingUnit.name ?? '…'}</span>
            )}
          </li>
          {trail.map((unit, i) => (
            <li key={unit}>
              {i === trail.length - 1 ? (
                <span aria-current="page">{names.data?.[i]?.name ?? unit}</span>
              ) : (
                <Link href={link(trail.slice(0, i + 1))}>{names.data?.[i]?.name ?? unit}</Link>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {progress.loading ? <Busy /> : null}
      <ErrorBanner error={progress.error} onRetry={progress.reload} />
      {p ? (
        <div class="grid">
          <Section id="summary" title={`${t('progressTotal')}: ${p.total}`}>
            <ProgressBar
              value={p.byStatus.completed ?? 0}
              max={p.total}
              label={t('completed')}
              tone={p.overdue ? 'warn' : 'ok'}
            />
            <ul class="status-bars">
              {ORDER.filter((s) => p.byStatus[s]).map((status) => (
                <li key={status}>
                  <DeliveryStatusBadge status={status} />
                  <ProgressBar
                    value={p.byStatus[status] ?? 0}
                    max={p.total}
                    label={deliveryStatus(status)}
                    tone={
                      status === 'returned' || status === 'recalled'
                        ? 'bad'
                        : status === 'completed'
                          ? 'ok'
                          : 'warn'
                    }
                  />
                </li>
              ))}
            </ul>
            <p class={p.overdue ? 'text-bad' : 'muted'}>
              {t('overdue')}: <strong>{p.overdue}</strong>
            </p>
          </Section>
          {p.children.length ? (
            <Section id="children" title={t('byUnit')}>
              <ul class="unit-progress">
                {p.children.map((child) => (
                  <li key={child.id}>
                    <div class="unit-progress-head">
                      <Link href={link([...trail, child.id])} aria-label={`${t('drillDown')}: ${child.name}`}>
                        {child.name}
                      </Link>
                      {child.overdue ? (
                        <span class="badge tone-bad">
                          {t('overdue')}: {child.overdue}
                        </span>
                      ) : null}
                    </div>
                    <ProgressBar
                      value={child.completed}
                      max={child.total}
                      label={`${child.name}: ${t('completed')}`}
                      tone={child.overdue ? 'warn' : 'ok'}
                    />
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
          <Section id="overdue" title={`${t('overdueUnits')} (${p.overdue})`}>
            {p.overdueUnits.length ? (
              <ul class="item-list compact">
                {p.overdueUnits.map((u) => (
                  <li key={u.id} class="item">
                    <span>{u.name}</span> <DeliveryStatusBadge status={u.status} />
                  </li>
                ))}
              </ul>
            ) : (
              <p class="empty">{t('noOverdue')}</p>
            )}
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}
