/**
 * The approval queue (documents whose open approval step lists me) and the review page:
 * the draft as it will be printed, its approval chain so far, and approve / return /
 * reject with a comment (a comment is needed to return or reject).
 */
import { useState } from 'preact/hooks';
import { get, post, postForBytes } from '../api';
import { Layout } from '../components/Layout';
import { PdfView } from '../components/PdfView';
import {
  Busy,
  Button,
  DocumentStatusBadge,
  ErrorBanner,
  errorFor,
  Fact,
  Notice,
  Section,
  TextAreaField,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import type { DocumentContent, Tasks } from '../types';
import { ApprovalChain } from './Documents';

export function ApprovalsPage() {
  const { t, dateTime } = useI18n();
  const tasks = useLoad(() => get<Tasks>('/me/tasks'), []);
  const list = tasks.data?.approve ?? [];
  return (
    <Layout title={t('approvals')}>
      {tasks.loading ? <Busy /> : null}
      <ErrorBanner error={tasks.error} onRetry={tasks.reload} />
      {tasks.data && !list.length ? <p class="empty">{t('nothingWaiting')}</p> : null}
      <ul class="item-list">
        {list.map((task) => (
          <li class="item" key={task.documentId}>
            <Link href={`/documents/${task.documentId}/review`} class="item-title">
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
            </div>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

export function ReviewPage({ id }: { id: string }) {
  const { t, urgency } = useI18n();
  const doc = useLoad(() => get<DocumentContent>(`/documents/${id}/content`), [id]);
  const d = doc.data;
  const pdf = useLoad(
    async () =>
      d
        ? postForBytes('/documents/preview', {
            id,
            type: d.type,
            urgency: d.urgency,
            issuingUnitId: d.issuingUnit.id,
            ...d.content,
          })
        : null,
    [d?.sha256],
  );
  const [comment, setComment] = useState('');
  const decide = useAction(async (decision: 'approve' | 'return' | 'reject') => {
    await post(`/documents/${id}/decision`, {
      decision,
      version: d!.version,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    });
    navigate(`/documents/${id}`);
  });
  const commentError = errorFor(decide.error, 'body.comment');
  return (
    <Layout title={d ? `${t('review')}: ${d.subject}` : t('review')}>
      {doc.loading ? <Busy /> : null}
      <ErrorBanner error={doc.error} onRetry={doc.reload} />
      {d ? (
        <div class="split">
          <div>
            <Section id="facts" title={d.typeName}>
              <dl class="facts">
                <Fact term={t('status')}>
                  <DocumentStatusBadge status={d.status} />
                </Fact>
                <Fact term={t('issuingUnit')}>{d.issuingUnit.name}</Fact>
                <Fact term={t('urgency')}>{urgency(d.urgency)}</Fact>
                <Fact term={t('createdBy')}>{d.createdBy.name ?? '—'}</Fact>
                <Fact term={t('signer')}>{d.signer?.name ?? '—'}</Fact>
                <Fact term={t('version')}>{d.version}</Fact>
              </dl>
            </Section>
            {d.actions.includes('decide') ? (
              <Section id="decision" title={t('review')}>
                <form
                  class="form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void decide.run('approve');
                  }}
                >
                  <TextAreaField
                    id="comment"
                    label={t('comment')}
                    hint={t('commentHint')}
                    error={commentError}
                    rows={4}
                    value={comment}
                    onValue={setComment}
                  />
                  <ErrorBanner error={decide.error} shownFields={['body.comment']} />
                  <div class="button-row">
                    <Button type="submit" busy={decide.busy} busyLabel={t('working')}>
                      {t('approve')}
                    </Button>
                    <Button variant="secondary" busy={decide.busy} onClick={() => void decide.run('return')}>
                      {t('returnForChanges')}
                    </Button>
                    <Button variant="danger" busy={decide.busy} onClick={() => void decide.run('reject')}>
                      {t('reject')}
                    </Button>
                  </div>
                </form>
              </Section>
            ) : (
              <Notice>{t('decided')}</Notice>
            )}
            {d.approval.length ? <ApprovalChain steps={d.approval} /> : null}
          </div>
          <Section id="pdf" title={t('preview')}>
            <ErrorBanner error={pdf.error} onRetry={pdf.reload} />
            {pdf.loading ? <Busy label={t('renderingPdf')} /> : null}
            <PdfView bytes={pdf.data ?? null} title={d.subject} />
          </Section>
        </div>
      ) : null}
    </Layout>
  );
}
