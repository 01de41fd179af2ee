/**
 * The frame of every page: a skip link, the header with the navigation for the roles
 * the person holds, the language switch and the sign-out button; on a phone the
 * navigation folds into a menu button.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type MessageKey, useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { holds, preferredUnit, rememberUnit, useSession, type WorkUnit, workUnits } from '../session';
import { GlobalProgress } from './ui';

interface NavItem {
  href: string;
  label: MessageKey;
  roles?: string[];
}

const STAFF = ['clerk', 'drafter', 'leader', 'signer', 'branch_secretary'];

const NAV: NavItem[] = [
  { href: '/', label: 'home', roles: [] },
  { href: '/inbox', label: 'inbox', roles: [] },
  { href: '/documents', label: 'outbox', roles: STAFF },
  { href: '/approvals', label: 'approvals', roles: ['leader', 'signer', 'branch_secretary'] },
  { href: '/reports', label: 'reports', roles: ['clerk', 'leader', 'branch_secretary'] },
  { href: '/registers', label: 'registers', roles: [...STAFF, 'auditor', 'admin'] },
  { href: '/audit', label: 'audit', roles: ['auditor'] },
  { href: '/verify', label: 'verify' },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

export function LanguageSwitch() {
  const { t, lang, setLang } = useI18n();
  return (
    <button
      type="button"
      class="button secondary small lang-switch"
      lang={lang === 'vi' ? 'en' : 'vi'}
      aria-label={`${t('language')}: ${t('switchLanguage')}`}
      onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}
    >
      {t('switchLanguage')}
    </button>
  );
}

export function Layout({ children, title }: { children: ComponentChildren; title: string }) {
  const { t } = useI18n();
  const { person, signOut } = useSession();
  const { path } = useLocation();
  const [open, setOpen] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${title} — ${t('appName')}`;
  }, [title, t]);
  // A new address: the menu folds, and the focus goes to the page's heading for screen readers.
  useEffect(() => {
    setOpen(false);
    heading.current?.focus({ preventScroll: true });
  }, [path]);

  const items = NAV.filter((item) =>
    item.roles === undefined
      ? true
      : person
        ? item.roles.length === 0 || holds(person, ...item.roles)
        : false,
  );
  return (
    <>
      <a class="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <GlobalProgress />
      <header class="site-header">
        <div class="header-row">
          <Link href={person ? '/' : '/verify'} class="brand">
            <span class="brand-mark" aria-hidden="true">
              VT
            </span>
            {t('appName')}
          </Link>
          <div class="header-tools">
            <LanguageSwitch />
            <button
              type="button"
              class="button secondary small menu-toggle"
              aria-expanded={open}
              aria-controls="site-nav"
              onClick={() => setOpen(!open)}
            >
              {t('menu')}
            </button>
          </div>
        </div>
        <nav id="site-nav" class={`site-nav${open ? ' open' : ''}`} aria-label={t('menu')}>
          <ul>
            {items.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={isCurrent(item.href, path) ? 'page' : undefined}>
                  {t(item.label)}
                </Link>
              </li>
            ))}
            {person ? (
              <li class="nav-person">
                <span class="muted">
                  {t('signedInAs')} <strong>{person.fullName}</strong>
                </span>
                <button type="button" class="button secondary small" onClick={() => void signOut()}>
                  {t('signOut')}
                </button>
              </li>
            ) : (
              <li>
                <Link href="/sign-in">{t('signIn')}</Link>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" class="main">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {children}
      </main>
    </>
  );
}

/** The unit a page works for: `?unit=` in the address, else the last one chosen. */
export function useWorkUnit(filter?: (unit: WorkUnit) => boolean): {
  unit: WorkUnit | undefined;
  units: WorkUnit[];
  choose(id: number): void;
} {
  const { person } = useSession();
  const { path, query } = useLocation();
  const all = person ? workUnits(person) : [];
  const units = filter ? all.filter(filter) : all;
  const wanted = Number(query.get('unit')) || undefined;
  const preferred = person ? preferredUnit(person, wanted) : undefined;
  const unit = units.find((u) => u.id === preferred?.id) ?? units[0];
  return {
    unit,
    units,
    choose(id: number) {
      if (person) rememberUnit(person, id);
      const next = new URLSearchParams(query);
      next.set('unit', String(id));
      navigate(`${path}?${next}`, { replace: true });
    },
  };
}

export function UnitSelect({ units, unit, choose }: ReturnType<typeof useWorkUnit>) {
  const { t } = useI18n();
  if (units.length <= 1) return unit ? <p class="muted">{unit.name}</p> : null;
  return (
    <div class="field inline">
      <label for="work-unit">{t('unit')}</label>
      <select id="work-unit" value={unit?.id} onChange={(e) => choose(Number(e.currentTarget.value))}>
        {units.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name}
          </option>
        ))}
      </select>
    </div>
  );
}
