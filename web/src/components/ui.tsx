/**
 * The small parts every page is built of: labelled fields whose error sits right under
 * them (and is announced), status badges, progress bars, a busy indicator, error
 * banners, copy buttons. All of them work with the keyboard and a screen reader.
 */
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, onRequestsInFlight } from '../api';
import { useI18n } from '../i18n';

// ------------------------------------------------------------------ errors and fields

/** The error message for a field, when the api named that field (or a part of it). */
export function errorFor(error: ApiError | undefined, ...fields: string[]): string | undefined {
  if (!error?.field) return undefined;
  const at = error.field;
  return fields.some((f) => at === f || at.startsWith(`${f}.`)) ? error.detail || error.title : undefined;
}

/** Props that tie a control to its hint and error. */
export function describedBy(id: string, hint: string | undefined, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    ...(ids ? { 'aria-describedby': ids } : {}),
    ...(error ? { 'aria-invalid': true as const } : {}),
  };
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  required?: boolean;
  children: ComponentChildren;
}

export function Field({ id, label, hint, error, required, children }: FieldProps) {
  const { t } = useI18n();
  return (
    <div class={`field${error ? ' field-error' : ''}`}>
      <label for={id}>
        {label}
        {/* Announced from the control's own `required`; shown here for the eye. */}
        {required ? (
          <span class="required" aria-hidden="true">
            {' '}
            ({t('required')})
          </span>
        ) : null}
      </label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="error-text" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** An error the form could not place next to a field, or a failed load. */
export function ErrorBanner({
  error,
  shownFields = [],
  onRetry,
}: {
  error: ApiError | undefined;
  shownFields?: string[];
  onRetry?: () => void;
}) {
  const { t } = useI18n();
  if (!error) return null;
  if (error.field && shownFields.some((f) => error.field === f || error.field!.startsWith(`${f}.`)))
    return null;
  return (
    <div class="banner banner-error" role="alert">
      <strong>{error.title || t('errorTitle')}</strong>
      {error.detail ? <p>{error.detail}</p> : null}
      {onRetry ? (
        <button type="button" class="button secondary" onClick={onRetry}>
          {t('retry')}
        </button>
      ) : null}
    </div>
  );
}

export function Notice({
  children,
  tone = 'info',
}: {
  children: ComponentChildren;
  tone?: 'info' | 'ok' | 'warn';
}) {
  return (
    <div class={`banner banner-${tone}`} role="status">
      {children}
    </div>
  );
}

// ------------------------------------------------------------------ progress

/** A spinner and a sentence, announced politely. */
export function Busy({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label ?? t('loading')}
    </p>
  );
}

/** A thin bar at the top while any request has taken longer than a moment. */
export function GlobalProgress() {
  const { t } = useI18n();
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onRequestsInFlight((count) => {
      if (count > 0 && !timer) timer = setTimeout(() => setVisible(true), 300);
      if (count === 0) {
        if (timer) clearTimeout(timer);
        timer = undefined;
        setVisible(false);
      }
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);
  return visible ? <div class="global-progress" role="progressbar" aria-label={t('working')} /> : null;
}

export function ProgressBar({
  value,
  max,
  label,
  tone = 'ok',
}: {
  value: number;
  max: number;
  label: string;
  tone?: 'ok' | 'warn' | 'bad';
}) {
  const share = max > 0 ? Math.round((value / max) * 100) : 0;
  return (
    <div class="progress-row">
      <div
        class="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value}
        aria-valuetext={`${value}/${max} (${share}%)`}
      >
        <div class={`progress-fill tone-${tone}`} style={{ width: `${share}%` }} />
      </div>
      <span class="progress-text">
        {value}/{max} ({share}%)
      </span>
    </div>
  );
}

// ------------------------------------------------------------------ badges

const DOCUMENT_TONES: Record<string, string> = {
  draft: 'neutral',
  changes_requested: 'warn',
  in_review: 'info',
  approved: 'info',
  signed: 'info',
  issued: 'ok',
  dispatched: 'ok',
  closed: 'neutral',
  rejected: 'bad',
  cancelled: 'bad',
  recalled: 'bad',
};

export function DocumentStatusBadge({ status }: { status: string }) {
  const { documentStatus } = useI18n();
  return <span class={`badge tone-${DOCUMENT_TONES[status] ?? 'neutral'}`}>{documentStatus(status)}</span>;
}

const DELIVERY_TONES: Record<string, string> = {
  delivered: 'info',
  received: 'info',
  assigned: 'info',
  in_progress: 'warn',
  completed: 'ok',
  returned: 'bad',
  recalled: 'bad',
};

export function DeliveryStatusBadge({ status }: { status: string }) {
  const { deliveryStatus } = useI18n();
  return <span class={`badge tone-${DELIVERY_TONES[status] ?? 'neutral'}`}>{deliveryStatus(status)}</span>;
}

export function UrgencyBadge({ urgency }: { urgency: string }) {
  const i18n = useI18n();
  if (urgency === 'thuong') return null;
  return <span class="badge tone-bad">{i18n.urgency(urgency)}</span>;
}

// ------------------------------------------------------------------ small helpers

export function CopyButton({ text, label }: { text: string; label: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="button secondary small"
      aria-label={`${t('copy')}: ${label}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2_000);
        } catch {
          // no clipboard permission: the text stays selectable in its box
        }
      }}
    >
      {copied ? t('copied') : t('copy')}
    </button>
  );
}

export function Section({
  title,
  children,
  id,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
  actions?: ComponentChildren;
}) {
  const headingId = `${id ?? title.replace(/\W+/g, '-').toLowerCase()}-title`;
  return (
    <section class="card" id={id} aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A labelled value in a description list. */
export function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & {
  busy?: boolean;
  busyLabel?: string;
  variant?: 'primary' | 'secondary' | 'danger';
  type?: 'button' | 'submit';
  disabled?: boolean;
};

/** A button that says what it is doing while its action runs. */
export function Button({
  busy,
  busyLabel,
  variant = 'primary',
  type = 'button',
  children,
  disabled,
  ...rest
}: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={`button ${variant}`}
      disabled={disabled || busy}
      aria-busy={busy ? 'true' : undefined}
    >
      {busy ? (
        <>
          <span class="spinner small" aria-hidden="true" />
          {busyLabel ?? children}
        </>
      ) : (
        children
      )}
    </button>
  );
}

// ------------------------------------------------------------------ dates

/** YYYY-MM-DD from "d/m/yyyy", or undefined when it is not a real date. */
export function isoFromDayMonthYear(text: string): string | undefined {
  const found = /^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$/.exec(text);
  if (!found) return undefined;
  const [day, month, year] = [Number(found[1]), Number(found[2]), Number(found[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function dayMonthYear(iso: string): string {
  const [year, month, day] = iso.split('-');
  return iso ? `${day}/${month}/${year}` : '';
}

/**
 * A date typed as dd/mm/yyyy whatever the browser's own locale (a native date field
 * shows mm/dd/yyyy on an English-language phone). `value` and `onChange` use YYYY-MM-DD,
 * or '' while the text is empty or not a date.
 */
export function DateInput({
  value,
  onChange,
  ...rest
}: {
  id: string;
  value: string;
  onChange(iso: string): void;
  required?: boolean;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}) {
  const [text, setText] = useState(() => dayMonthYear(value));
  useEffect(() => {
    if ((isoFromDayMonthYear(text) ?? '') !== value) setText(dayMonthYear(value));
    // Only an outside change of the value rewrites the text being typed.
  }, [value]);
  return (
    <input
      {...rest}
      type="text"
      inputMode="numeric"
      autocomplete="off"
      placeholder="dd/mm/yyyy"
      pattern="\s*\d{1,2}\s*[\/.\-]\s*\d{1,2}\s*[\/.\-]\s*\d{4}\s*"
      value={text}
      onInput={(e) => {
        const typed = e.currentTarget.value;
        setText(typed);
        onChange(isoFromDayMonthYear(typed) ?? '');
      }}
    />
  );
}

/** A labelled text area in its Field, its hint and error announced; `mono` for pasted codes. */
export function TextAreaField({
  id,
  label,
  hint,
  error,
  required,
  mono,
  rows,
  maxLength,
  value,
  onValue,
}: Omit<FieldProps, 'children'> & {
  mono?: boolean;
  rows: number;
  maxLength?: number;
  value: string;
  onValue(value: string): void;
}) {
  return (
    <Field id={id} label={label} hint={hint} error={error} required={required ?? false}>
      <textarea
        {...describedBy(id, hint, error)}
        {...(mono ? { class: 'mono', spellcheck: false } : {})}
        rows={rows}
        required={required ?? false}
        {...(maxLength ? { maxLength } : {})}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </Field>
  );
}
