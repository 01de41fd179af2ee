/**
 * The registers of the unit I work for, as Nghị định 30/2020 (Phụ lục IV) draws them:
 * the outgoing register (sổ đi) and the incoming register (sổ đến). On a phone each row
 * becomes a card whose cells carry their column names.
 */
import { useEffect, useState } from 'preact/hooks';
import { API, get, qs } from '../api';
import { Layout, UnitSelect, useWorkUnit } from '../components/Layout';
import { Busy, Button, ErrorBanner } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';

interface Outgoing {
  entryId: number;
  documentId: string;
  status: string;
  number: string;
  documentDate: string | null;
  typeName: string;
  subject: string;
  signer: string | null;
  recipients: string[];
  keptBy: string;
  copies: number;
  note: string | null;
}

interface Incoming {
  entryId: number;
  documentId: string;
  deliveryId: number | null;
  receivedAt: string;
  incomingNumber: string;
  issuer: string;
  documentNumber: string | null;
  documentDate: string | null;
  typeName: string;
  subject: string;
  handler: string | null;
  receivedBy: string | null;
  note: string | null;
}

type RegisterPage =
  | { direction: 'outgoing'; items: Outgoing[]; nextCursor: string | null }
  | { direction: 'incoming'; items: Incoming[]; nextCursor: string | null };

const STAFF = ['clerk', 'drafter', 'leader', 'signer', 'branch_secretary', 'auditor', 'admin'];

/** YYYY-MM-DD → dd/mm/yyyy (already a Vietnamese calendar date). */
function calendar(value: string | null): string {
  if (!value) return '—';
  const [y, m, d] = value.split('-');
  return `${d}/${m}/${y}`;
}

export function RegistersPage() {
  const { t, dateTime, deliveryStatus } = useI18n();
  const work = useWorkUnit((u) => u.roles.some((r) => STAFF.includes(r)));
  const { path, query } = useLocation();
  const direction = query.get('book') === 'incoming' ? 'incoming' : 'outgoing';
  const year = query.get('year') ?? String(new Date().getFullYear());
  const unitId = work.unit?.id;
  const [pages, setPages] = useState<RegisterPage[]>([]);
  const first = useLoad(
    async () =>
      unitId
        ? get<RegisterPage>(
            `/org-units/${unitId}/registers/${direction}${qs({ year: year === 'all' ? undefined : year })}`,
          )
        : undefined,
    [unitId, direction, year],
  );
  useEffect(() => setPages(first.data ? [first.data] : []), [first.data]);
  const cursor = pages[pages.length - 1]?.nextCursor;
  const more = useAction(async () => {
    const page = await get<RegisterPage>(
      `/org-units/${unitId}/registers/${direction}${qs({ year: year === 'all' ? undefined : year, cursor })}`,
    );
    setPages((list) => [...list, page]);
  });
  const setParam = (name: string, value: string) => {
    const params = new URLSearchParams(query);
    params.set(name, value);
    navigate(`${path}?${params}`, { replace: true });
  };
  const thisYear = new Date().getFullYear();
  const outgoing = pages.flatMap((p) => (p.direction === 'outgoing' ? p.items : []));
  const incoming = pages.flatMap((p) => (p.direction === 'incoming' ? p.items : []));
  return (
    <Layout title={direction === 'outgoing' ? t('outgoingRegister') : t('incomingRegister')}>
      <div class="toolbar">
        <UnitSelect {...work} />
        <fieldset class="segmented">
          <legend class="visually-hidden">{t('registers')}</legend>
          {(['outgoing', 'incoming'] as const).map((d) => (
            <label key={d} class={direction === d ? 'on' : ''}>
              <input
                type="radio"
                name="book"
                checked={direction === d}
                onChange={() => setParam('book', d)}
              />
              {d === 'outgoing' ? t('outgoingRegister') : t('incomingRegister')}
            </label>
          ))}
        </fieldset>
        <div class="field inline">
          <label for="register-year">{t('year')}</label>
          <select id="register-year" value={year} onChange={(e) => setParam('year', e.currentTarget.value)}>
            {[thisYear, thisYear - 1, thisYear - 2].map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
            <option value="all">{t('all')}</option>
          </select>
        </div>
        {unitId ? (
          <div class="button-row">
            {(['csv', 'pdf'] as const).map((format) => (
              <a
                key={format}
                class="button secondary small"
                download
                href={`${API}/org-units/${unitId}/registers/${direction}/${format}${qs({ year: year === 'all' ? undefined : year })}`}
              >
                {format === 'csv' ? t('downloadCsv') : t('printRegister')}
              </a>
            ))}
          </div>
        ) : null}
      </div>
      {first.loading ? <Busy /> : null}
      <ErrorBanner error={first.error} onRetry={first.reload} />
      {first.data && !outgoing.length && !incoming.length ? <p class="empty">{t('registerEmpty')}</p> : null}
      {direction === 'outgoing' && outgoing.length ? (
        <div class="table-wrap">
          <table class="register">
            <caption class="visually-hidden">{t('outgoingRegister')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('colNumber')}</th>
                <th scope="col">{t('colDate')}</th>
                <th scope="col">{t('colTypeSubject')}</th>
                <th scope="col">{t('colSigner')}</th>
                <th scope="col">{t('colRecipients')}</th>
                <th scope="col">{t('colKeptBy')}</th>
                <th scope="col">{t('colCopies')}</th>
                <th scope="col">{t('colNote')}</th>
              </tr>
            </thead>
            <tbody>
              {outgoing.map((e) => (
                <tr key={e.entryId} class={e.status === 'cancelled' ? 'cancelled' : ''}>
                  <td data-label={t('colNumber')} class="nowrap">
                    <Link href={`/documents/${e.documentId}`}>{e.number}</Link>
                  </td>
                  <td data-label={t('colDate')} class="nowrap">
                    {calendar(e.documentDate)}
                  </td>
                  <td data-label={t('colTypeSubject')}>
                    <strong>{e.typeName}</strong> {e.subject}
                  </td>
                  <td data-label={t('colSigner')}>{e.signer ?? '—'}</td>
                  <td data-label={t('colRecipients')}>{e.recipients.join('; ') || '—'}</td>
                  <td data-label={t('colKeptBy')}>{e.keptBy}</td>
                  <td data-label={t('colCopies')}>{e.copies}</td>
                  <td data-label={t('colNote')}>{e.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {direction === 'incoming' && incoming.length ? (
        <div class="table-wrap">
          <table class="register">
            <caption class="visually-hidden">{t('incomingRegister')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('colReceivedAt')}</th>
                <th scope="col">{t('colIncomingNumber')}</th>
                <th scope="col">{t('colAuthor')}</th>
                <th scope="col">{t('colNumber')}</th>
                <th scope="col">{t('colDate')}</th>
                <th scope="col">{t('colTypeSubject')}</th>
                <th scope="col">{t('colHandler')}</th>
                <th scope="col">{t('colReceivedBy')}</th>
                <th scope="col">{t('colNote')}</th>
              </tr>
            </thead>
            <tbody>
              {incoming.map((e) => (
                <tr key={e.entryId}>
                  <td data-label={t('colReceivedAt')} class="nowrap">
                    {dateTime(e.receivedAt)}
                  </td>
                  <td data-label={t('colIncomingNumber')}>{e.incomingNumber}</td>
                  <td data-label={t('colAuthor')}>{e.issuer}</td>
                  <td data-label={t('colNumber')} class="nowrap">
                    {e.documentNumber ?? '—'}
                  </td>
                  <td data-label={t('colDate')} class="nowrap">
                    {calendar(e.documentDate)}
                  </td>
                  <td data-label={t('colTypeSubject')}>
                    {e.deliveryId ? (
                      <Link href={`/inbox/${e.deliveryId}`}>
                        <strong>{e.typeName}</strong> {e.subject}
                      </Link>
                    ) : (
                      <>
                        <strong>{e.typeName}</strong> {e.subject}
                      </>
                    )}
                  </td>
                  <td data-label={t('colHandler')}>{e.handler ?? '—'}</td>
                  <td data-label={t('colReceivedBy')}>{e.receivedBy ?? '—'}</td>
                  <td data-label={t('colNote')}>{e.note ? deliveryStatus(e.note) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorBanner error={more.error} />
      {cursor ? (
        <Button variant="secondary" busy={more.busy} onClick={() => void more.run()}>
          {t('more')}
        </Button>
      ) : null}
    </Layout>
  );
}
