/**
 * A verification report as people read it: the verdict first, then for each signature
 * who signed, for which organisation, when, whether it is valid, the PAdES level reached,
 * and each check with its own message.
 */
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n';
import type { Check, SignatureReport, VerificationReport } from '../types';
import { Fact } from './ui';

const VERDICT_KEYS: Record<VerificationReport['verdict'], MessageKey> = {
  valid: 'verdictValid',
  invalid: 'verdictInvalid',
  indeterminate: 'verdictIndeterminate',
  unsigned: 'verdictUnsigned',
};

const VERDICT_TONES: Record<VerificationReport['verdict'], string> = {
  valid: 'ok',
  invalid: 'bad',
  indeterminate: 'warn',
  unsigned: 'warn',
};

const CHECK_KEYS: Array<[keyof SignatureReport['checks'], MessageKey]> = [
  ['byteRange', 'checkByteRange'],
  ['digest', 'checkDigest'],
  ['cryptography', 'checkCryptography'],
  ['chain', 'checkChain'],
  ['certificateValidity', 'checkValidity'],
  ['revocation', 'checkRevocation'],
  ['timestamp', 'checkTimestamp'],
  ['modifications', 'checkModifications'],
];

const STATUS_KEYS: Record<Check['status'], MessageKey> = {
  passed: 'passed',
  failed: 'failed',
  indeterminate: 'indeterminate',
  not_applicable: 'notApplicable',
};

const STATUS_MARKS: Record<Check['status'], string> = {
  passed: '✓',
  failed: '✗',
  indeterminate: '?',
  not_applicable: '–',
};

export function VerdictBadge({ verdict }: { verdict: VerificationReport['verdict'] }) {
  const { t } = useI18n();
  return (
    <span class={`badge big tone-${VERDICT_TONES[verdict]}`} data-verdict={verdict}>
      {t(VERDICT_KEYS[verdict])}
    </span>
  );
}

export function SignatureReportView({ report }: { report: VerificationReport }) {
  const { t } = useI18n();
  return (
    <div class="signature-report" data-verdict={report.verdict}>
      <p class="verdict-line">
        {t('verdict')}: <VerdictBadge verdict={report.verdict} />
      </p>
      <ol class="signature-list">
        {report.signatures.map((signature) => (
          <li key={signature.index}>
            <SignatureEntry signature={signature} />
          </li>
        ))}
      </ol>
      <p class="hint mono-wrap">
        {t('fileSha')}: <code>{report.file.sha256}</code>
      </p>
    </div>
  );
}

function SignatureEntry({ signature }: { signature: SignatureReport }) {
  const { t, dateTime } = useI18n();
  const who =
    signature.kind === 'document_timestamp'
      ? t('documentTimestamp')
      : (signature.signer?.commonName ?? signature.signer?.subject ?? signature.field);
  return (
    <article class="signature" aria-label={`${who}: ${t(VERDICT_KEYS[signature.verdict])}`}>
      <header class="signature-head">
        <strong>{who}</strong> <VerdictBadge verdict={signature.verdict} />
        {signature.padesLevel !== 'none' ? (
          <span class="badge tone-info">PAdES {signature.padesLevel}</span>
        ) : null}
      </header>
      <dl class="facts">
        {signature.signer?.organization ? (
          <Fact term={t('organization')}>{signature.signer.organization}</Fact>
        ) : null}
        <Fact term={t('signedAt')}>
          {dateTime(
            signature.signingTime.proven ?? signature.signingTime.claimed ?? signature.signingTime.used,
          )}
        </Fact>
        <Fact term={t('padesLevel')}>{signature.padesLevel === 'none' ? '—' : signature.padesLevel}</Fact>
        {signature.signer ? <Fact term={t('certificateIssuer')}>{signature.signer.issuer}</Fact> : null}
      </dl>
      <details open={signature.verdict !== 'valid'}>
        <summary>{t('checks')}</summary>
        <ul class="checks">
          {CHECK_KEYS.map(([key, label]) => {
            const check = signature.checks[key];
            return (
              <li key={key} class={`check check-${check.status}`}>
                <span aria-hidden="true" class="check-mark">
                  {STATUS_MARKS[check.status]}
                </span>{' '}
                <strong>{t(label)}</strong>: {t(STATUS_KEYS[check.status])} —{' '}
                <span class="check-message">{check.message}</span>
              </li>
            );
          })}
        </ul>
      </details>
    </article>
  );
}
