/**
 * Sign-in, and the first sign-in with an activation code (the account has no password
 * yet, or lost it): the code, a new password twice. Both open a session whose cookie is
 * HttpOnly; the CSRF token comes back in the answer.
 */
import { useState } from 'preact/hooks';
import { ApiError, request, setCsrfToken } from '../api';
import { Layout } from '../components/Layout';
import { Button, describedBy, ErrorBanner, errorFor, Field } from '../components/ui';
import { useAction } from '../hooks';
import { useI18n } from '../i18n';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import type { SessionInfo } from '../types';

/** Only addresses inside this site are followed after sign-in. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const [mode, setMode] = useState<'password' | 'activation'>(
    query.get('activate') ? 'activation' : 'password',
  );
  return (
    <Layout title={mode === 'password' ? t('signIn') : t('activationTitle')}>
      <div class="narrow">
        {mode === 'password' ? <PasswordForm /> : <ActivationForm />}
        <p>
          <button
            type="button"
            class="link-button"
            onClick={() => setMode(mode === 'password' ? 'activation' : 'password')}
          >
            {mode === 'password' ? t('firstSignIn') : t('backToSignIn')}
          </button>
        </p>
      </div>
    </Layout>
  );
}

function useOpenSession() {
  const { setPerson } = useSession();
  const { query } = useLocation();
  return (answer: SessionInfo) => {
    setCsrfToken(answer.csrfToken);
    setPerson(answer.person);
    navigate(safeNext(query.get('next')), { replace: true });
  };
}

function PasswordForm() {
  const { t } = useI18n();
  const open = useOpenSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    const answer = await request<SessionInfo>('POST', '/session', {
      json: { username: username.trim(), password },
      quiet401: true,
    });
    open(answer.data);
  });
  const wrong = action.error?.status === 401 ? action.error.detail || action.error.title : undefined;
  return (
    <form
      class="card form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <Field id="username" label={t('username')} error={errorFor(action.error, 'body.username')} required>
        <input
          {...describedBy('username', undefined, errorFor(action.error, 'body.username'))}
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="password"
        label={t('password')}
        error={wrong ?? errorFor(action.error, 'body.password')}
        required
      >
        <input
          {...describedBy('password', undefined, wrong ?? errorFor(action.error, 'body.password'))}
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <ErrorBanner
        error={action.error instanceof ApiError && action.error.status !== 401 ? action.error : undefined}
        shownFields={['body.username', 'body.password']}
      />
      <Button type="submit" busy={action.busy} busyLabel={t('signingIn')}>
        {t('signIn')}
      </Button>
    </form>
  );
}

function ActivationForm() {
  const { t } = useI18n();
  const open = useOpenSession();
  const [username, setUsername] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const action = useAction(async () => {
    const answer = await request<SessionInfo>('POST', '/session/activation', {
      json: { username: username.trim(), code: code.trim(), password },
      quiet401: true,
    });
    open(answer.data);
  });
  const codeError =
    errorFor(action.error, 'body.code') ?? (action.error?.status === 401 ? action.error.detail : undefined);
  const passwordError = errorFor(action.error, 'body.password');
  return (
    <form
      class="card form"
      onSubmit={(e) => {
        e.preventDefault();
        if (password !== repeat) {
          setMismatch(true);
          return;
        }
        setMismatch(false);
        void action.run();
      }}
    >
      <Field id="act-username" label={t('username')} error={errorFor(action.error, 'body.username')} required>
        <input
          {...describedBy('act-username', undefined, errorFor(action.error, 'body.username'))}
          autocomplete="username"
          autocapitalize="none"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="act-code"
        label={t('activationCode')}
        hint={t('activationCodeHint')}
        error={codeError}
        required
      >
        <input
          {...describedBy('act-code', t('activationCodeHint'), codeError)}
          autocomplete="one-time-code"
          autocapitalize="characters"
          required
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="act-password"
        label={t('newPassword')}
        hint={t('newPasswordHint')}
        error={passwordError}
        required
      >
        <input
          {...describedBy('act-password', t('newPasswordHint'), passwordError)}
          type="password"
          autocomplete="new-password"
          minLength={10}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <Field
        id="act-repeat"
        label={t('repeatPassword')}
        error={mismatch ? t('passwordsDiffer') : undefined}
        required
      >
        <input
          {...describedBy('act-repeat', undefined, mismatch ? t('passwordsDiffer') : undefined)}
          type="password"
          autocomplete="new-password"
          required
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
      </Field>
      <ErrorBanner
        error={action.error?.status === 401 ? undefined : action.error}
        shownFields={['body.username', 'body.code', 'body.password']}
      />
      <Button type="submit" busy={action.busy} busyLabel={t('working')}>
        {t('activate')}
      </Button>
    </form>
  );
}
