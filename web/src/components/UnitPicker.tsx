/**
 * Choosing a unit of the organisation by walking the tree: the unit shown, its parent
 * one step up, its children one step down, and a button to choose. Works the same with a
 * keyboard, a mouse or a finger, and loads one level at a time (a city has 16,000
 * branches; nobody scrolls through them all).
 */
import { useState } from 'preact/hooks';
import { get } from '../api';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n';
import type { OrgUnit } from '../types';
import { Busy, ErrorBanner } from './ui';

interface UnitPickerProps {
  id: string;
  legend: string;
  /** Where browsing starts. */
  startId: number;
  value: { id: number; name: string } | undefined;
  onChange(unit: { id: number; name: string }): void;
  error?: string | undefined;
}

export function UnitPicker({ id, legend, startId, value, onChange, error }: UnitPickerProps) {
  const { t, unitKind } = useI18n();
  const [at, setAt] = useState(value?.id ?? startId);
  const unit = useLoad(() => get<OrgUnit>(`/org-units/${at}`), [at]);
  return (
    <fieldset
      class={`unit-picker${error ? ' field-error' : ''}`}
      id={id}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend>{legend}</legend>
      <p class="chosen" aria-live="polite">
        {t('chosenUnit')}: <strong>{value?.name ?? '—'}</strong>
      </p>
      {error ? (
        <p class="error-text" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
      {unit.loading && !unit.data ? <Busy /> : null}
      <ErrorBanner error={unit.error} onRetry={unit.reload} />
      {unit.data ? (
        <div class="unit-level">
          <div class="unit-current">
            <span>
              {unit.data.name} <span class="muted">({unitKind(unit.data.kind)})</span>
            </span>
            <span class="button-row">
              {unit.data.parentId ? (
                <button
                  type="button"
                  class="button secondary small"
                  onClick={() => setAt(unit.data!.parentId!)}
                >
                  ↑ {t('goUp')}
                </button>
              ) : null}
              <button
                type="button"
                class="button secondary small"
                aria-pressed={value?.id === unit.data.id}
                onClick={() => onChange({ id: unit.data!.id, name: unit.data!.name })}
              >
                {t('pickThisUnit')}
              </button>
            </span>
          </div>
          {unit.data.children.length ? (
            <ul class="unit-children">
              {unit.data.children.map((child) => (
                <li key={child.id}>
                  <span class="unit-name">{child.name}</span>
                  <span class="button-row">
                    <button
                      type="button"
                      class="button secondary small"
                      aria-pressed={value?.id === child.id}
                      aria-label={`${t('pickThisUnit')}: ${child.name}`}
                      onClick={() => onChange({ id: child.id, name: child.name })}
                    >
                      {t('pickThisUnit')}
                    </button>
                    {child.kind !== 'branch' ? (
                      <button
                        type="button"
                        class="button secondary small"
                        aria-label={`${t('openUnit')}: ${child.name}`}
                        onClick={() => setAt(child.id)}
                      >
                        {t('openUnit')} →
                      </button>
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}
