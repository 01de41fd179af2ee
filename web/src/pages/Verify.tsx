/**
 * Public pages, no sign-in: "verify a PDF" (drop a file, read its signature report; the
 * file is checked and forgotten), and the verification page of one issued document that
 * the QR code on its PDF opens (`/v/<id>`): number, subject, issuer, date, whether it was
 * recalled, and the signature report of the issued PDF.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, request } from '../api';
import { Layout } from '../components/Layout';
import { SignatureReportView } from '../components/SignatureReport';
import { Busy, ErrorBanner, Fact, Section } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { IssuedDocument, VerificationReport } from '../types';

const MAX_MB = 20;

function IssuedFacts({ doc }: { doc: IssuedDocument }) {
  const { t, date, documentStatus } = useI18n();
  return (
    <dl class="facts">
      <Fact term={t('number')}>{doc.number ?? '—'}</Fact>
      <Fact term={t('documentType')}>{doc.type}</Fact>
      <Fact term={t('subject')}>{doc.subject}</Fact>
      <Fact term={t('issuer')}>{doc.issuer}</Fact>
      <Fact term={t('issuedAt')}>{date(doc.issuedAt)}</Fact>
      <Fact term={t('status')}>{documentStatus(doc.status)}</Fact>
    </dl>
  );
}

export function VerifyPage() {
  const { t } = useI18n();
  const [file, setFile] = useState<File | undefined>();
  const [over, setOver] = useState(false);
  const [local, setLocal] = useState<string | undefined>();
  const [result, setResult] = useState<
    { report: VerificationReport; document: IssuedDocument | null } | undefined
  >();
  const zone = useRef<HTMLDivElement>(null);
  const chooseRef = useRef<(file: File | undefined) => void>(() => undefined);
  // Dropping a file is a shortcut for the file button beside it, which the keyboard reaches.
  useEffect(() => {
    const element = zone.current;
    if (!element) return;
    const over = (event: DragEvent) => {
      event.preventDefault();
      setOver(true);
    };
    const leave = () => setOver(false);
    const drop = (event: DragEvent) => {
      event.preventDefault();
      setOver(false);
      chooseRef.current(event.dataTransfer?.files[0]);
    };
    element.addEventListener('dragover', over);
    element.addEventListener('dragleave', leave);
    element.addEventListener('drop', drop);
    return () => {
      element.removeEventListener('dragover', over);
      element.removeEventListener('dragleave', leave);
      element.removeEventListener('drop', drop);
    };
  }, []);
  const check = useAction(async (chosen: File) => {
    setResult(undefined);
    const answer = await request<{ report: VerificationReport; document: IssuedDocument | null }>(
      'POST',
      '/verify',
      {
        body: await chosen.arrayBuffer(),
        contentType: 'application/pdf',
      },
    );
    setResult(answer.data);
  });
  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    setResult(undefined);
    if (chosen.size > MAX_MB * 1024 * 1024) {
      setLocal(t('fileTooLarge', { mb: MAX_MB }));
      return;
    }
    if (chosen.type && chosen.type !== 'application/pdf' && !chosen.name.toLowerCase().endsWith('.pdf')) {
      setLocal(t('notPdf'));
      return;
    }
    setLocal(undefined);
    void check.run(chosen);
  };
  chooseRef.current = choose;
  return (
    <Layout title={t('verifyTitle')}>
      <p class="lead">{t('verifyIntro')}</p>
      <div class={`drop-zone${over ? ' over' : ''}`} ref={zone}>
        <p aria-hidden="true" class="drop-hint">
          {t('dropHere')}
        </p>
        <label for="verify-file" class="button primary">
          {t('chooseFile')}
        </label>
        <input
          id="verify-file"
          class="visually-hidden-input"
          type="file"
          accept="application/pdf,.pdf"
          onChange={(e) => choose(e.currentTarget.files?.[0])}
        />
        {file ? <p class="file-name">{file.name}</p> : null}
      </div>
      {local ? (
        <p class="error-text" role="alert">
          {local}
        </p>
      ) : null}
      {check.busy ? <Busy label={t('verifying')} /> : null}
      <ErrorBanner error={check.error instanceof ApiError ? check.error : undefined} />
      {result ? (
        <Section id="result" title={t('result')}>
          {result.document ? (
            <div class={`banner ${result.document.recalled ? 'banner-error' : 'banner-ok'}`}>
              <p>{t('matchesIssued')}</p>
              <IssuedFacts doc={result.document} />
              {result.document.recalled ? <strong>{t('recalledWarning')}</strong> : null}
            </div>
          ) : (
            <p class="muted">{t('noMatch')}</p>
          )}
          <SignatureReportView report={result.report} />
        </Section>
      ) : null}
    </Layout>
  );
}

export function PublicDocumentPage({ id }: { id: string }) {
  const { t } = useI18n();
  const doc = useLoad(
    () => get<IssuedDocument & { report: VerificationReport }>(`/public/documents/${id}`),
    [id],
  );
  const d = doc.data;
  return (
    <Layout title={t('publicTitle')}>
      <p class="lead">{t('publicIntro')}</p>
      {doc.loading ? <Busy label={t('verifying')} /> : null}
      <ErrorBanner error={doc.error} onRetry={doc.reload} />
      {d ? (
        <>
          {d.recalled ? (
            <div class="banner banner-error" role="alert">
              <strong>{t('recalledWarning')}</strong>
            </div>
          ) : null}
          <Section id="document" title={d.number ? `Số ${d.number}` : d.type}>
            <IssuedFacts doc={d} />
            <p class="hint mono-wrap">
              {t('issuedPdfSha')}: <code>{d.pdfSha256}</code>
            </p>
            <p>
              <Link href="/verify" class="button secondary">
                {t('checkYourCopy')}
              </Link>
            </p>
          </Section>
          <Section id="signatures" title={t('signatures')}>
            <SignatureReportView report={d.report} />
          </Section>
        </>
      ) : null}
    </Layout>
  );
}
