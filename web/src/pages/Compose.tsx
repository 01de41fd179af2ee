/**
 * Writing a draft: type, urgency, issuing unit, subject, text, recipients, signer and
 * deadline, with a live PDF preview rendered by the server exactly as the approved PDF
 * will be laid out (it updates a moment after typing stops). Saving an existing draft
 * sends the ETag it was read with, so two people cannot overwrite each other; submitting
 * sends the version saved, with an optional chain of approvers before the signer.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiError, get, post, postForBytes, request } from '../api';
import { Layout } from '../components/Layout';
import { PdfView } from '../components/PdfView';
import { UnitPicker } from '../components/UnitPicker';
import {
  Busy,
  Button,
  DateInput,
  describedBy,
  ErrorBanner,
  errorFor,
  Field,
  Notice,
  Section,
  TextAreaField,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { useSession, workUnits } from '../session';
import type {
  BodyBlock,
  DocumentContent,
  DocumentState,
  DocumentType,
  DraftContent,
  RecipientSpec,
  UnitPerson,
} from '../types';

const DRAFTING = ['drafter', 'clerk', 'leader', 'signer', 'branch_secretary'];
const URGENCIES = ['thuong', 'khan', 'thuong_khan', 'hoa_toc'] as const;
const AUTHORITIES = [
  ['TM', 'T/M'],
  ['KT', 'K/T'],
  ['TL', 'T/L'],
  ['TUQ', 'T.U.Q'],
] as const;
const UNIT_KINDS = ['district', 'grassroots', 'branch'] as const;

interface RecipientRow {
  key: number;
  kind: RecipientSpec['kind'];
  unit: { id: number; name: string } | undefined;
  unitKind: string;
}

interface FormState {
  type: string;
  urgency: string;
  issuingUnitId: number | undefined;
  subject: string;
  bodyText: string;
  recipients: RecipientRow[];
  recipientsNote: string;
  signerId: string;
  authority: string;
  responseDue: string;
}

/** One paragraph per line; "# " starts a heading, "- " a dashed item. */
export function blocksOf(text: string): BodyBlock[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      if (line.startsWith('# ')) return { kind: 'heading' as const, text: line.slice(2).trim() };
      if (line.startsWith('- ')) return { kind: 'bullet' as const, text: line.slice(2).trim() };
      return line;
    });
}

export function textOf(blocks: readonly BodyBlock[]): string {
  return blocks
    .map((block) => {
      if (typeof block === 'string') return block;
      if (block.kind === 'heading') return `# ${block.text}`;
      if (block.kind === 'bullet') return `- ${block.text}`;
      return block.text;
    })
    .join('\n');
}

let rowKey = 0;

function signerRank(person: UnitPerson): number {
  const title = person.roles.find((r) => r.role === 'signer')?.title ?? '';
  return /^Bí thư/i.test(title) ? 0 : 1;
}

function formFrom(
  doc: DocumentContent | undefined,
  unitId: number | undefined,
  names: Map<number, string>,
): FormState {
  const content = doc?.content;
  return {
    type: doc?.type ?? 'CT',
    urgency: doc?.urgency ?? 'thuong',
    issuingUnitId: doc?.issuingUnit.id ?? unitId,
    subject: content?.subject ?? '',
    bodyText: content ? textOf(content.body) : '',
    recipients: (content?.recipients ?? []).map((r) => ({
      key: ++rowKey,
      kind: r.kind,
      unit: { id: r.unitId, name: names.get(r.unitId) ?? `#${r.unitId}` },
      unitKind: r.kind === 'units_under' ? r.unitKind : 'branch',
    })),
    recipientsNote: content?.recipientsNote ?? '',
    signerId: content?.signer ? String(content.signer.personId) : '',
    authority: content?.signer?.authority ?? 'TM',
    responseDue: content?.responseDue ? content.responseDue.slice(0, 10) : '',
  };
}

function contentOf(form: FormState): DraftContent {
  const recipients: RecipientSpec[] = form.recipients
    .filter((r) => r.unit)
    .map((r) =>
      r.kind === 'units_under'
        ? { kind: 'units_under', unitId: r.unit!.id, unitKind: r.unitKind }
        : { kind: r.kind, unitId: r.unit!.id },
    );
  return {
    subject: form.subject.trim(),
    body: blocksOf(form.bodyText),
    ...(recipients.length ? { recipients } : {}),
    ...(form.recipientsNote.trim() ? { recipientsNote: form.recipientsNote.trim() } : {}),
    ...(form.signerId ? { signer: { personId: Number(form.signerId), authority: form.authority } } : {}),
    // The end of that day in Vietnam.
    ...(form.responseDue ? { responseDue: `${form.responseDue}T23:59:00+07:00` } : {}),
  };
}

export function ComposePage({ id }: { id?: string }) {
  const { t } = useI18n();
  const existing = useLoad(async () => {
    if (!id) return undefined;
    const answer = await request<DocumentContent>('GET', `/documents/${id}/content`);
    const names = new Map<number, string>();
    await Promise.all(
      [...new Set((answer.data.content.recipients ?? []).map((r) => r.unitId))].map(async (unitId) => {
        const unit = await get<{ name: string }>(`/org-units/${unitId}`).catch(() => undefined);
        if (unit) names.set(unitId, unit.name);
      }),
    );
    return { doc: answer.data, etag: answer.headers.get('etag') ?? '', names };
  }, [id]);
  if (id && existing.loading) {
    return (
      <Layout title={t('editDraft')}>
        <Busy />
      </Layout>
    );
  }
  if (id && existing.error) {
    return (
      <Layout title={t('editDraft')}>
        <ErrorBanner error={existing.error} onRetry={existing.reload} />
      </Layout>
    );
  }
  return (
    <Composer
      key={id ?? 'new'}
      doc={existing.data?.doc}
      etag={existing.data?.etag}
      names={existing.data?.names ?? new Map()}
    />
  );
}

function Composer({
  doc,
  etag: initialEtag,
  names,
}: {
  doc?: DocumentContent;
  etag?: string;
  names: Map<number, string>;
}) {
  const { t, lang, unitKind, urgency } = useI18n();
  const { person } = useSession();
  const draftingUnits = person
    ? workUnits(person).filter((u) => u.roles.some((r) => DRAFTING.includes(r)))
    : [];
  const [form, setForm] = useState<FormState>(() => formFrom(doc, draftingUnits[0]?.id, names));
  const [documentId, setDocumentId] = useState(doc?.id);
  const [etag, setEtag] = useState(initialEtag);
  const [version, setVersion] = useState(doc?.version);
  const [dirty, setDirty] = useState(false);
  const [approvers, setApprovers] = useState<number[]>([]);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
  };

  const types = useLoad(() => get<{ items: DocumentType[] }>('/document-types'), []);
  const unitId = form.issuingUnitId;
  const people = useLoad(
    async () => (unitId ? get<{ items: UnitPerson[] }>(`/org-units/${unitId}/people`) : { items: [] }),
    [unitId],
  );
  // The secretary (Bí thư) signs on behalf of the committee by default; deputies after.
  const signers = (people.data?.items.filter((p) => p.roles.some((r) => r.role === 'signer')) ?? []).sort(
    (a, b) => signerRank(a) - signerRank(b),
  );
  const leaders = people.data?.items.filter((p) => p.roles.some((r) => r.role === 'leader')) ?? [];

  // A new draft gets its unit's first signer by default.
  const firstSigner = signers[0]?.personId;
  useEffect(() => {
    if (!form.signerId && firstSigner) setForm((f) => ({ ...f, signerId: String(firstSigner) }));
  }, [firstSigner, form.signerId]);

  const payload = useMemo(
    () => ({
      ...(documentId ? { id: documentId } : {}),
      type: form.type,
      urgency: form.urgency,
      ...(form.issuingUnitId ? { issuingUnitId: form.issuingUnitId } : {}),
      ...contentOf(form),
    }),
    [form, documentId],
  );

  const preview = useLivePreview(payload);

  const save = useAction(async () => {
    await saveDraft();
  });
  async function saveDraft(): Promise<DocumentState> {
    if (!documentId) {
      const created = await post<DocumentState>('/documents', payload);
      setDocumentId(created.id);
      setVersion(created.version);
      const read = await request<DocumentContent>('GET', `/documents/${created.id}/content`);
      setEtag(read.headers.get('etag') ?? undefined);
      setDirty(false);
      history.replaceState(null, '', `/documents/${created.id}/edit`);
      return created;
    }
    const { id: _id, type: _type, urgency: _urgency, issuingUnitId: _unit, ...content } = payload;
    const answer = await request<DocumentState>('PUT', `/documents/${documentId}/draft`, {
      json: content,
      headers: etag ? { 'If-Match': etag } : {},
    });
    setEtag(answer.headers.get('etag') ?? undefined);
    setVersion(answer.data.version);
    setDirty(false);
    return answer.data;
  }
  const [needSigner, setNeedSigner] = useState(false);
  const submit = useAction(async () => {
    // Nobody can approve and sign a draft without its signer: say so before asking the api.
    setNeedSigner(!form.signerId);
    if (!form.signerId) return;
    const saved = dirty || !documentId ? await saveDraft() : { id: documentId, version: version! };
    const chain = approvers.length
      ? [
          ...approvers.map((personId) => ({
            label: `Thẩm định: ${leaders.find((l) => l.personId === personId)?.fullName ?? personId}`,
            approvers: [personId],
          })),
          ...(form.signerId ? [{ label: 'Lãnh đạo duyệt ký', approvers: [Number(form.signerId)] }] : []),
        ]
      : undefined;
    await post(`/documents/${saved.id}/submit`, {
      version: saved.version,
      ...(chain ? { approval: chain } : {}),
    });
    navigate(`/documents/${saved.id}`);
  });
  const error = submit.error ?? save.error;
  const stale = error?.status === 412;
  const fieldError = (...fields: string[]) => errorFor(error, ...fields.map((f) => `body.${f}`));
  const signerError = fieldError('signer') ?? (needSigner && !form.signerId ? t('signerNeeded') : undefined);
  const shownFields = [
    'body.type',
    'body.urgency',
    'body.issuingUnitId',
    'body.subject',
    'body.body',
    'body.recipients',
    'body.recipientsNote',
    'body.signer',
    'body.responseDue',
    'body.approval',
  ];

  return (
    <Layout title={doc ? `${t('editDraft')}: ${doc.subject}` : t('newDocument')}>
      <div class="split compose">
        <form
          class="card form"
          aria-label={t('compose')}
          onSubmit={(e) => {
            e.preventDefault();
            void save.run();
          }}
        >
          {stale ? (
            <div class="banner banner-warn" role="alert">
              <p>{t('staleVersion')}</p>
              <button type="button" class="button secondary" onClick={() => location.reload()}>
                {t('reload')}
              </button>
            </div>
          ) : (
            <ErrorBanner error={error} shownFields={shownFields} />
          )}
          {save.done && !dirty ? <Notice tone="ok">{t('saved', { version: version ?? 1 })}</Notice> : null}
          <div class="field-row">
            <Field id="doc-type" label={t('documentType')} error={fieldError('type')} required>
              <select
                {...describedBy('doc-type', undefined, fieldError('type'))}
                value={form.type}
                disabled={!!documentId}
                onChange={(e) => set('type', e.currentTarget.value)}
              >
                {(
                  types.data?.items ?? [{ code: 'CT', name: 'Chỉ thị', nameEn: 'Directive', party: 'CT' }]
                ).map((type) => (
                  <option key={type.code} value={type.code}>
                    {lang === 'vi' ? type.name : type.nameEn} ({type.party ?? type.code})
                  </option>
                ))}
              </select>
            </Field>
            <Field id="doc-urgency" label={t('urgency')} error={fieldError('urgency')}>
              <select
                {...describedBy('doc-urgency', undefined, fieldError('urgency'))}
                value={form.urgency}
                disabled={!!documentId}
                onChange={(e) => set('urgency', e.currentTarget.value)}
              >
                {URGENCIES.map((u) => (
                  <option key={u} value={u}>
                    {urgency(u)}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          {draftingUnits.length > 1 && !documentId ? (
            <Field id="doc-unit" label={t('issuingUnit')} error={fieldError('issuingUnitId')} required>
              <select
                {...describedBy('doc-unit', undefined, fieldError('issuingUnitId'))}
                value={form.issuingUnitId}
                onChange={(e) => set('issuingUnitId', Number(e.currentTarget.value))}
              >
                {draftingUnits.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            </Field>
          ) : null}
          <TextAreaField
            id="doc-subject"
            label={t('subject')}
            error={fieldError('subject')}
            required
            rows={2}
            maxLength={500}
            value={form.subject}
            onValue={(v) => set('subject', v)}
          />
          <TextAreaField
            id="doc-body"
            label={t('body')}
            hint={t('bodyHint')}
            error={fieldError('body')}
            required
            rows={12}
            value={form.bodyText}
            onValue={(v) => set('bodyText', v)}
          />
          <fieldset class="group">
            <legend>{t('recipients')}</legend>
            {fieldError('recipients') ? (
              <p class="error-text" role="alert">
                {fieldError('recipients')}
              </p>
            ) : null}
            {form.recipients.map((row, i) => (
              <div class="recipient" key={row.key}>
                <Field id={`rcp-kind-${row.key}`} label={`${t('recipientKind')} ${i + 1}`}>
                  <select
                    id={`rcp-kind-${row.key}`}
                    value={row.kind}
                    onChange={(e) =>
                      set(
                        'recipients',
                        form.recipients.map((r) =>
                          r.key === row.key
                            ? { ...r, kind: e.currentTarget.value as RecipientSpec['kind'] }
                            : r,
                        ),
                      )
                    }
                  >
                    <option value="units_under">{t('recipientUnitsUnder')}</option>
                    <option value="unit">{t('recipientUnit')}</option>
                    <option value="members_under">{t('recipientMembersUnder')}</option>
                  </select>
                </Field>
                {row.kind === 'units_under' ? (
                  <Field id={`rcp-level-${row.key}`} label={t('unitKindToReach')}>
                    <select
                      id={`rcp-level-${row.key}`}
                      value={row.unitKind}
                      onChange={(e) =>
                        set(
                          'recipients',
                          form.recipients.map((r) =>
                            r.key === row.key ? { ...r, unitKind: e.currentTarget.value } : r,
                          ),
                        )
                      }
                    >
                      {UNIT_KINDS.map((kind) => (
                        <option key={kind} value={kind}>
                          {unitKind(kind)}
                        </option>
                      ))}
                    </select>
                  </Field>
                ) : null}
                <UnitPicker
                  id={`rcp-unit-${row.key}`}
                  legend={t('chooseUnit')}
                  startId={form.issuingUnitId ?? draftingUnits[0]?.id ?? 1}
                  value={row.unit}
                  error={fieldError(`recipients.${i}`)}
                  onChange={(unit) =>
                    set(
                      'recipients',
                      form.recipients.map((r) => (r.key === row.key ? { ...r, unit } : r)),
                    )
                  }
                />
                <button
                  type="button"
                  class="button secondary small"
                  onClick={() =>
                    set(
                      'recipients',
                      form.recipients.filter((r) => r.key !== row.key),
                    )
                  }
                >
                  {t('removeRecipient')}
                </button>
              </div>
            ))}
            <button
              type="button"
              class="button secondary"
              onClick={() =>
                set('recipients', [
                  ...form.recipients,
                  {
                    key: ++rowKey,
                    kind: 'units_under',
                    unit: form.issuingUnitId
                      ? {
                          id: form.issuingUnitId,
                          name: draftingUnits.find((u) => u.id === form.issuingUnitId)?.name ?? '',
                        }
                      : undefined,
                    unitKind: 'branch',
                  },
                ])
              }
            >
              + {t('addRecipient')}
            </button>
            <TextAreaField
              id="doc-note"
              label={t('recipientsNote')}
              error={fieldError('recipientsNote')}
              rows={2}
              value={form.recipientsNote}
              onValue={(v) => set('recipientsNote', v)}
            />
          </fieldset>
          <div class="field-row">
            <Field id="doc-signer" label={t('signer')} error={signerError}>
              <select
                {...describedBy('doc-signer', undefined, signerError)}
                value={form.signerId}
                onChange={(e) => set('signerId', e.currentTarget.value)}
              >
                <option value="">{t('chooseSigner')}</option>
                {signers.map((p) => (
                  <option key={p.personId} value={p.personId}>
                    {p.fullName} — {p.roles.find((r) => r.role === 'signer')?.title ?? ''}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="doc-authority" label={t('authority')}>
              <select
                id="doc-authority"
                value={form.authority}
                onChange={(e) => set('authority', e.currentTarget.value)}
              >
                {AUTHORITIES.map(([code, label]) => (
                  <option key={code} value={code}>
                    {label}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <Field id="doc-due" label={t('responseDue')} hint={t('dateHint')} error={fieldError('responseDue')}>
            <DateInput
              {...describedBy('doc-due', t('dateHint'), fieldError('responseDue'))}
              value={form.responseDue}
              onChange={(iso) => set('responseDue', iso)}
            />
          </Field>
          {leaders.length ? (
            <fieldset class="group">
              <legend>{t('approvers')}</legend>
              <p class="hint">{t('approversHint')}</p>
              {leaders
                .filter((l) => String(l.personId) !== form.signerId)
                .map((leader) => (
                  <label key={leader.personId} class="check-label">
                    <input
                      type="checkbox"
                      checked={approvers.includes(leader.personId)}
                      onChange={(e) =>
                        setApprovers(
                          e.currentTarget.checked
                            ? [...approvers, leader.personId]
                            : approvers.filter((a) => a !== leader.personId),
                        )
                      }
                    />
                    {leader.fullName} — {leader.roles.find((r) => r.role === 'leader')?.title ?? ''}
                  </label>
                ))}
              {errorFor(error, 'body.approval') ? (
                <p class="error-text" role="alert">
                  {errorFor(error, 'body.approval')}
                </p>
              ) : null}
            </fieldset>
          ) : null}
          <div class="button-row sticky-actions">
            <Button type="submit" variant="secondary" busy={save.busy} busyLabel={t('working')}>
              {t('saveDraft')}
            </Button>
            <Button busy={submit.busy} busyLabel={t('working')} onClick={() => void submit.run()}>
              {t('submitForApproval')}
            </Button>
          </div>
        </form>
        <Section id="preview" title={t('preview')}>
          <p class="hint">{t('previewHint')}</p>
          {preview.error && !preview.bytes ? <PreviewProblem error={preview.error} /> : null}
          {preview.error && preview.bytes ? <PreviewProblem error={preview.error} /> : null}
          <PdfView bytes={preview.bytes} title={form.subject || t('preview')} updating={preview.busy} />
        </Section>
      </div>
    </Layout>
  );
}

function PreviewProblem({ error }: { error: ApiError }) {
  const { t } = useI18n();
  const needsContent = error.field === 'body.subject' || error.field === 'body.body';
  return (
    <p class="hint text-warn" role="status">
      {needsContent ? t('previewNeedsContent') : `${error.title}: ${error.detail}`}
    </p>
  );
}

/** The preview PDF of `payload`, fetched a moment after it stops changing; older answers are dropped. */
function useLivePreview(payload: Record<string, unknown>) {
  const [state, setState] = useState<{ bytes: ArrayBuffer | null; busy: boolean; error?: ApiError }>({
    bytes: null,
    busy: false,
  });
  const body = JSON.stringify(payload);
  const latest = useRef<AbortController | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      latest.current?.abort();
      latest.current = controller;
      setState((s) => ({ ...s, busy: true }));
      postForBytes('/documents/preview', JSON.parse(body), controller.signal).then(
        (bytes) => {
          if (!controller.signal.aborted) setState({ bytes, busy: false });
        },
        (error: ApiError) => {
          if (!controller.signal.aborted) setState((s) => ({ bytes: s.bytes, busy: false, error }));
        },
      );
    }, 800);
    return () => clearTimeout(timer);
  }, [body]);
  return state;
}
