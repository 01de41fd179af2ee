/**
 * The application: language and session state, and which page an address shows.
 * Public pages (sign-in, verify, /v/<id>) need no session; every other page sends a
 * signed-out visitor to sign in and back.
 */
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { request, setCsrfToken, whenSignedOut } from './api';
import { Layout } from './components/Layout';
import { Busy } from './components/ui';
import { I18nContext, type Lang, makeI18n, storedLang, storeLang, useI18n } from './i18n';
import { ApprovalsPage, ReviewPage } from './pages/Approvals';
import { AuditPage } from './pages/Audit';
import { ComposePage } from './pages/Compose';
import { DocumentPage, DocumentsPage } from './pages/Documents';
import { HomePage } from './pages/Home';
import { DeliveryPage, InboxPage } from './pages/Inbox';
import { ProgressPage } from './pages/Progress';
import { RegistersPage } from './pages/Registers';
import { ReportPage, ReportsPage } from './pages/Reports';
import { SignInPage } from './pages/SignIn';
import { IssuePage, SignPage } from './pages/Signing';
import { PublicDocumentPage, VerifyPage } from './pages/Verify';
import { match, navigate, useLocation } from './router';
import { SessionContext } from './session';
import type { Person, SessionInfo } from './types';

interface Route {
  pattern: string;
  page(params: Record<string, string>): JSX.Element;
  public?: boolean;
}

const ROUTES: Route[] = [
  { pattern: '/sign-in', page: () => <SignInPage />, public: true },
  { pattern: '/verify', page: () => <VerifyPage />, public: true },
  { pattern: '/v/:id', page: (p) => <PublicDocumentPage id={p.id!} />, public: true },
  { pattern: '/', page: () => <HomePage /> },
  { pattern: '/inbox', page: () => <InboxPage /> },
  { pattern: '/inbox/:id', page: (p) => <DeliveryPage id={p.id!} /> },
  { pattern: '/documents', page: () => <DocumentsPage /> },
  { pattern: '/documents/new', page: () => <ComposePage /> },
  { pattern: '/documents/:id', page: (p) => <DocumentPage id={p.id!} /> },
  { pattern: '/documents/:id/edit', page: (p) => <ComposePage id={p.id!} /> },
  { pattern: '/documents/:id/review', page: (p) => <ReviewPage id={p.id!} /> },
  { pattern: '/documents/:id/sign', page: (p) => <SignPage id={p.id!} /> },
  { pattern: '/documents/:id/issue', page: (p) => <IssuePage id={p.id!} /> },
  { pattern: '/documents/:id/progress', page: (p) => <ProgressPage id={p.id!} /> },
  { pattern: '/approvals', page: () => <ApprovalsPage /> },
  { pattern: '/reports', page: () => <ReportsPage /> },
  { pattern: '/reports/:id', page: (p) => <ReportPage id={p.id!} /> },
  { pattern: '/registers', page: () => <RegistersPage /> },
  { pattern: '/audit', page: () => <AuditPage /> },
];

function NotFound() {
  const { t } = useI18n();
  return (
    <Layout title={t('notFound')}>
      <p>
        <a href="/">{t('home')}</a>
      </p>
    </Layout>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const i18n = useMemo(
    () =>
      makeI18n(lang, (next) => {
        storeLang(next);
        setLangState(next);
      }),
    [lang],
  );
  useEffect(() => storeLang(lang), [lang]);

  // undefined: not known yet; null: signed out.
  const [person, setPerson] = useState<Person | null | undefined>(undefined);
  const { path, query } = useLocation();

  useEffect(() => {
    whenSignedOut(() => setPerson(null));
    request<SessionInfo>('GET', '/session', { quiet401: true }).then(
      (answer) => {
        setCsrfToken(answer.data.csrfToken);
        setPerson(answer.data.person);
      },
      // Signed out, or the server cannot say: either way the sign-in page is next.
      () => setPerson(null),
    );
  }, []);

  const session = useMemo(
    () => ({
      person: person ?? null,
      setPerson,
      signOut: async () => {
        await request('DELETE', '/session').catch(() => undefined);
        setCsrfToken(undefined);
        setPerson(null);
        navigate('/sign-in', { replace: true });
      },
    }),
    [person],
  );

  const found = ROUTES.map((route) => ({ route, params: match(route.pattern, path) })).find((r) => r.params);
  const needsSession = found ? !found.route.public : true;

  useEffect(() => {
    if (person === null && needsSession) {
      const next = `${path}${query.size ? `?${query}` : ''}`;
      navigate(`/sign-in${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
    }
  }, [person, needsSession, path, query]);

  const page: JSX.Element =
    !person && needsSession ? <Busy /> : found ? found.route.page(found.params!) : <NotFound />;

  return (
    <I18nContext.Provider value={i18n}>
      <SessionContext.Provider value={session}>{page}</SessionContext.Provider>
    </I18nContext.Provider>
  );
}
