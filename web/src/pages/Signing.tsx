/**
 * The leader signs, the clerk issues. Each either unlocks the key vanthu keeps (a
 * passphrase used for that one signature, never stored), or signs with a USB token in
 * two steps: paste the token's certificate, copy out exactly what to sign (and its
 * digest), sign it on the token, paste the signature value back. Issuing takes the
 * number from the outgoing register, puts number and date on the page, seals and
 * dispatches.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { get, getBytes, post } from '../api';
import { Layout } from '../components/Layout';
import { PdfView } from '../components/PdfView';
import {
  Busy,
  Button,
  CopyButton,
  DocumentStatusBadge,
  describedBy,
  ErrorBanner,
  errorFor,
  Fact,
  Field,
  Notice,
  Section,
  TextAreaField,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { DocumentContent, DocumentState, PreparedSignature } from '../types';

/** Certificates pasted as PEM blocks, or as base64 separated by blank lines. */
export function certificatesIn(text: string): string[] {
  const pem = text.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g);
  if (pem) return pem;
  return text
    .split(/\n\s*\n/)
    .map((part) => part.replace(/\s+/g, ''))
    .filter(Boolean);
}

type Mode = 'stored' | 'token';

function ModeSwitch({
  mode,
  setMode,
  tokenLabel,
  storedLabel,
}: {
  mode: Mode;
  setMode(m: Mode): void;
  tokenLabel: string;
  storedLabel: string;
}) {
  return (
    <fieldset class="segmented">
      <legend class="visually-hidden">{storedLabel}</legend>
      <label class={mode === 'stored' ? 'on' : ''}>
        <input type="radio" name="sign-mode" checked={mode === 'stored'} onChange={() => setMode('stored')} />
        {storedLabel}
      </label>
      <label class={mode === 'token' ? 'on' : ''}>
        <input type="radio" name="sign-mode" checked={mode === 'token'} onChange={() => setMode('token')} />
        {tokenLabel}
      </label>
    </fieldset>
  );
}

function PassphraseForm({
  id,
  label,
  submitLabel,
  busyLabel,
  onSubmit,
  action,
}: {
  id: string;
  label: string;
  submitLabel: string;
  busyLabel: string;
  onSubmit(passphrase: string): void;
  action: { busy: boolean; error: ReturnType<typeof useAction>['error'] };
}) {
  const { t } = useI18n();
  const [passphrase, setPassphrase] = useState('');
  const error =
    errorFor(action.error, 'body.passphrase') ??
    (action.error?.status === 403 ? action.error.detail : undefined);
  return (
    <form
      class="form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(passphrase);
      }}
    >
      <Field id={id} label={label} hint={t('passphraseHint')} error={error} required>
        <input
          {...describedBy(id, t('passphraseHint'), error)}
          type="password"
          autocomplete="off"
          required
          value={passphrase}
          onInput={(e) => setPassphrase(e.currentTarget.value)}
        />
      </Field>
      <ErrorBanner
        error={action.error?.status === 403 ? undefined : action.error}
        shownFields={['body.passphrase']}
      />
      <Button type="submit" busy={action.busy} busyLabel={busyLabel}>
        {submitLabel}
      </Button>
    </form>
  );
}

/** Two-phase signing with a token: certificate in, what to sign out, signature value in. */
function TokenSigning({
  preparePath,
  completePath,
  onDone,
}: {
  preparePath: string;
  completePath: string;
  onDone(state: DocumentState, prepared: PreparedSignature): void;
}) {
  const { t, dateTime } = useI18n();
  const [certificate, setCertificate] = useState('');
  const [chain, setChain] = useState('');
  const [prepared, setPrepared] = useState<PreparedSignature | undefined>();
  const [value, setValue] = useState('');
  const prepare = useAction(async () => {
    const [first] = certificatesIn(certificate);
    setPrepared(
      await post<PreparedSignature>(preparePath, {
        certificate: first ?? certificate.trim(),
        chain: certificatesIn(chain),
      }),
    );
  });
  const complete = useAction(async () => {
    const state = await post<DocumentState>(completePath, {
      sessionId: prepared!.sessionId,
      signatureValue: value.replace(/\s+/g, ''),
    });
    onDone(state, prepared!);
  });
  const certError = errorFor(prepare.error, 'body.certificate');
  const valueError = errorFor(complete.error, 'body.signatureValue');
  return (
    <div class="two-phase">
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void prepare.run();
        }}
      >
        <h3>{t('tokenStep1')}</h3>
        <TextAreaField
          id="token-cert"
          label={t('certificate')}
          error={certError}
          required
          mono
          rows={5}
          value={certificate}
          onValue={setCertificate}
        />
        <TextAreaField
          id="token-chain"
          label={t('chain')}
          error={errorFor(prepare.error, 'body.chain')}
          mono
          rows={3}
          value={chain}
          onValue={setChain}
        />
        <ErrorBanner error={prepare.error} shownFields={['body.certificate', 'body.chain']} />
        <Button
          type="submit"
          variant={prepared ? 'secondary' : 'primary'}
          busy={prepare.busy}
          busyLabel={t('working')}
        >
          {t('prepare')}
        </Button>
      </form>
      {prepared ? (
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void complete.run();
          }}
        >
          <h3>{t('tokenStep2')}</h3>
          <dl class="facts">
            {prepared.number ? <Fact term={t('numberTaken')}>{prepared.number}</Fact> : null}
            <Fact term={t('digestAlgorithm')}>{prepared.digestAlgorithm}</Fact>
            <Fact term={t('expiresAt')}>{dateTime(prepared.expiresAt)}</Fact>
          </dl>
          <div class="field">
            <label for="token-digest">{t('digest')}</label>
            <div class="copy-row">
              <input id="token-digest" class="mono" readOnly value={prepared.digest} />
              <CopyButton text={prepared.digest} label={t('digest')} />
            </div>
          </div>
          <div class="field">
            <label for="token-tbs">{t('toBeSigned')}</label>
            <div class="copy-row">
              <textarea id="token-tbs" class="mono" rows={4} readOnly value={prepared.toBeSigned} />
              <CopyButton text={prepared.toBeSigned} label={t('toBeSigned')} />
            </div>
          </div>
          <TextAreaField
            id="token-value"
            label={t('signatureValue')}
            error={valueError}
            required
            mono
            rows={4}
            value={value}
            onValue={setValue}
          />
          <ErrorBanner error={complete.error} shownFields={['body.signatureValue']} />
          <Button type="submit" busy={complete.busy} busyLabel={t('signing')}>
            {t('complete2')}
          </Button>
        </form>
      ) : null}
    </div>
  );
}

function useDocument(id: string) {
  const doc = useLoad(() => get<DocumentContent>(`/documents/${id}/content`), [id]);
  const pdf = useLoad(
    async () => (doc.data?.hasPdf ? getBytes(`/documents/${id}/pdf`) : null),
    [id, doc.data?.status],
  );
  return { doc, pdf };
}

function DocumentFacts({ doc }: { doc: DocumentContent }) {
  const { t } = useI18n();
  return (
    <dl class="facts">
      <Fact term={t('status')}>
        <DocumentStatusBadge status={doc.status} />
      </Fact>
      <Fact term={t('issuingUnit')}>{doc.issuingUnit.name}</Fact>
      <Fact term={t('signer')}>{doc.signer?.name ?? '—'}</Fact>
      <Fact term={t('subject')}>{doc.subject}</Fact>
    </dl>
  );
}

/**
 * The frame both pages share: the document's facts and the action on one side, its PDF on
 * the other; `action` draws the action, or says why there is none now.
 */
function DocumentAtWork({
  id,
  title,
  action,
}: {
  id: string;
  title: string;
  action: (doc: DocumentContent, reload: () => void) => ComponentChildren;
}) {
  const { t } = useI18n();
  const { doc, pdf } = useDocument(id);
  const d = doc.data;
  return (
    <Layout title={d ? `${title}: ${d.subject}` : title}>
      {doc.loading && !d ? <Busy /> : null}
      <ErrorBanner error={doc.error} onRetry={doc.reload} />
      {d ? (
        <div class="split">
          <div>
            <Section id="facts" title={d.typeName}>
              <DocumentFacts doc={d} />
            </Section>
            {action(d, doc.reload)}
          </div>
          <Section id="pdf" title={t('pdf')}>
            {pdf.loading ? <Busy label={t('renderingPdf')} /> : null}
            <ErrorBanner error={pdf.error} onRetry={pdf.reload} />
            <PdfView bytes={pdf.data ?? null} title={d.subject} />
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}

/** Nothing to do here now: the document's status, and the way to it. */
function NotNow({ id, doc }: { id: string; doc: DocumentContent }) {
  const { t } = useI18n();
  return (
    <Notice tone="warn">
      <DocumentStatusBadge status={doc.status} /> <Link href={`/documents/${id}`}>{t('open')}</Link>
    </Notice>
  );
}

export function SignPage({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <DocumentAtWork
      id={id}
      title={t('signTitle')}
      action={(d, reload) => <SignAction id={id} doc={d} reload={reload} />}
    />
  );
}

function SignAction({ id, doc, reload }: { id: string; doc: DocumentContent; reload: () => void }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>('stored');
  const [done, setDone] = useState(false);
  const sign = useAction(async (passphrase: string) => {
    await post<DocumentState>(`/documents/${id}/signature`, { passphrase });
    setDone(true);
    reload();
  });
  if (done) {
    return (
      <Notice tone="ok">
        {t('signedOk')} <Link href={`/documents/${id}`}>{t('open')}</Link>
      </Notice>
    );
  }
  if (!doc.actions.includes('sign')) return <NotNow id={id} doc={doc} />;
  return (
    <Section id="sign" title={t('sign')}>
      <ModeSwitch
        mode={mode}
        setMode={setMode}
        storedLabel={t('signWithStoredKey')}
        tokenLabel={t('signWithToken')}
      />
      {mode === 'stored' ? (
        <PassphraseForm
          id="passphrase"
          label={t('passphrase')}
          submitLabel={t('signNow')}
          busyLabel={t('signing')}
          action={sign}
          onSubmit={(passphrase) => void sign.run(passphrase)}
        />
      ) : (
        <TokenSigning
          preparePath={`/documents/${id}/signature/prepare`}
          completePath={`/documents/${id}/signature/complete`}
          onDone={() => {
            setDone(true);
            reload();
          }}
        />
      )}
    </Section>
  );
}

export function IssuePage({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <DocumentAtWork
      id={id}
      title={t('issueTitle')}
      action={(d, reload) => <IssueAction id={id} doc={d} reload={reload} />}
    />
  );
}

function IssueAction({ id, doc, reload }: { id: string; doc: DocumentContent; reload: () => void }) {
  const { t } = useI18n();
  const mayIssue = doc.actions.includes('issue');
  const next = useLoad(
    async () => (mayIssue ? get<{ number: string }>(`/documents/${id}/next-number`) : null),
    [id, mayIssue],
  );
  const [mode, setMode] = useState<Mode>('stored');
  const [issued, setIssued] = useState<string | undefined>();
  const finish = async () => {
    const read = await get<DocumentContent>(`/documents/${id}/content`);
    setIssued(read.number ?? '');
    reload();
  };
  const issue = useAction(async (passphrase: string) => {
    await post<DocumentState>(`/documents/${id}/issue`, { passphrase });
    await finish();
  });
  if (issued !== undefined) {
    return (
      <Notice tone="ok">
        <span data-issued-number={issued}>{t('issuedOk', { number: issued })}</span>{' '}
        <Link href={`/documents/${id}/progress`}>{t('progressLink')}</Link>
      </Notice>
    );
  }
  if (!mayIssue) return <NotNow id={id} doc={doc} />;
  return (
    <Section id="issue" title={t('issue')}>
      <div class="next-number">
        <p>
          {t('nextNumber')}:{' '}
          {next.data ? <strong class="number">Số {next.data.number}</strong> : next.loading ? <Busy /> : '—'}
        </p>
        <p class="hint">{t('nextNumberHint')}</p>
        <ErrorBanner error={next.error} />
      </div>
      <ModeSwitch mode={mode} setMode={setMode} storedLabel={t('issueNow')} tokenLabel={t('sealWithToken')} />
      {mode === 'stored' ? (
        <PassphraseForm
          id="seal-passphrase"
          label={t('sealPassphrase')}
          submitLabel={t('issueNow')}
          busyLabel={t('issuing')}
          action={issue}
          onSubmit={(passphrase) => void issue.run(passphrase)}
        />
      ) : (
        <TokenSigning
          preparePath={`/documents/${id}/issue/prepare`}
          completePath={`/documents/${id}/issue/complete`}
          onDone={() => void finish()}
        />
      )}
    </Section>
  );
}
