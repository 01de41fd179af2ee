/**
 * The audit trail for auditors: entries of the units they oversee, newest first
 * (filtered by document or action), and a button that verifies every hash chain and
 * every TSA anchor of the whole log, naming each finding.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api';
import { Layout } from '../components/Layout';
import { Busy, Button, ErrorBanner, Notice, Section } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { Page } from '../types';

interface Entry {
  id: string;
  chain: number;
  seq: number;
  at: string;
  actor: { personId: number; name: string | null } | null;
  source: string;
  action: string;
  documentId: string | null;
  versionSha256: string | null;
  detail: Record<string, unknown>;
  hash: string;
}

interface Verification {
  intact: boolean;
  checkedAt: string;
  chains: number;
  entries: number;
  anchors: { checked: number; valid: number; trustChecked: boolean };
  findings: Array<{
    kind: string;
    chain: number | null;
    seq: number | null;
    id: string | null;
    detail: string;
  }>;
  findingsOmitted: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AuditPage() {
  const { t, dateTime, action } = useI18n();
  const [documentId, setDocumentId] = useState('');
  const [filter, setFilter] = useState<{ documentId?: string; action?: string }>({});
  const [actionCode, setActionCode] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(
    () =>
      get<Page<Entry>>(
        `/audit/entries${qs({ limit: 50, documentId: filter.documentId, action: filter.action })}`,
      ),
    [filter.documentId, filter.action],
  );
  useEffect(() => {
    setEntries(first.data?.items ?? []);
    setCursor(first.data?.nextCursor ?? null);
  }, [first.data]);
  const more = useAction(async () => {
    const page = await get<Page<Entry>>(
      `/audit/entries${qs({ limit: 50, cursor, documentId: filter.documentId, action: filter.action })}`,
    );
    setEntries((list) => [...list, ...page.items]);
    setCursor(page.nextCursor);
  });
  const [report, setReport] = useState<Verification | undefined>();
  const verify = useAction(async () => {
    setReport(undefined);
    setReport(await get<Verification>('/audit/verify'));
  });
  return (
    <Layout title={t('auditTitle')}>
      <Section id="verify" title={t('verifyAudit')}>
        <Button busy={verify.busy} busyLabel={t('verifyingAudit')} onClick={() => void verify.run()}>
          {t('verifyAudit')}
        </Button>
        {verify.busy ? <Busy label={t('verifyingAudit')} /> : null}
        <ErrorBanner error={verify.error} />
        {report ? (
          report.intact ? (
            <Notice tone="ok">
              <span data-audit="intact">
                {t('auditIntact', {
                  entries: report.entries,
                  chains: report.chains,
                  anchors: report.anchors.valid,
                })}
              </span>
            </Notice>
          ) : (
            <div class="banner banner-error" role="alert" data-audit="broken">
              <strong>{t('auditBroken', { count: report.findings.length + report.findingsOmitted })}</strong>
              <ul>
                {report.findings.map((f, i) => (
                  <li key={`${f.kind}-${f.id ?? i}`}>
                    <code>{f.kind}</code> {f.chain !== null ? `#${f.chain}/${f.seq}` : ''} — {f.detail}
                  </li>
                ))}
              </ul>
            </div>
          )
        ) : null}
      </Section>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          const id = documentId.trim();
          setFilter({
            ...(UUID.test(id) ? { documentId: id } : {}),
            ...(actionCode.trim() ? { action: actionCode.trim() } : {}),
          });
        }}
      >
        <div class="field inline grow">
          <label for="audit-document">{t('documentId')}</label>
          <input
            id="audit-document"
            class="mono"
            value={documentId}
            onInput={(e) => setDocumentId(e.currentTarget.value)}
          />
        </div>
        <div class="field inline">
          <label for="audit-action">{t('action')}</label>
          <input
            id="audit-action"
            class="mono"
            value={actionCode}
            onInput={(e) => setActionCode(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="button secondary">
          {t('filter')}
        </button>
      </form>
      {first.loading ? <Busy /> : null}
      <ErrorBanner error={first.error} onRetry={first.reload} />
      <div class="table-wrap">
        <table class="register audit">
          <caption class="visually-hidden">{t('auditTitle')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('time')}</th>
              <th scope="col">{t('action')}</th>
              <th scope="col">{t('actor')}</th>
              <th scope="col">{t('documentId')}</th>
              <th scope="col">#</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td data-label={t('time')}>{dateTime(e.at)}</td>
                <td data-label={t('action')}>
                  {action(e.action)} <code class="muted">{e.action}</code>
                </td>
                <td data-label={t('actor')}>{e.actor?.name ?? '—'}</td>
                <td data-label={t('documentId')}>
                  {e.documentId ? (
                    <Link href={`/documents/${e.documentId}`} class="mono">
                      {e.documentId.slice(0, 8)}…
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="#" class="mono">
                  {e.chain}/{e.seq}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorBanner error={more.error} />
      {cursor ? (
        <Button variant="secondary" busy={more.busy} onClick={() => void more.run()}>
          {t('more')}
        </Button>
      ) : null}
    </Layout>
  );
}
