/**
 * Which later changes a signature permits (ISO 32000-1 §12.8.2): the document's
 * certification signature sets DocMDP P (1 no changes, 2 form fill-in and signing, 3 also
 * annotations); a signature's FieldMDP transform or its field's /Lock locks form fields.
 * Without a certification signature, fill-in and signing stay allowed (P = 2, as in
 * pyHanko and Acrobat); annotations are allowed only under an explicit P = 3.
 * DSS updates and document timestamps are always allowed (ETSI EN 319 142-1 §5.4, 5.5).
 */
import { type PdfDict, PdfRef, PdfString, type PdfValue } from '../pdf/objects';
import type { Change } from './changes';
import type { PdfFile } from './pdf/file';
import type { FormField } from './pdf/forms';

export type MdpLevel = 1 | 2 | 3;

export interface Certification {
  /** Object number of the certifying signature dictionary. */
  readonly signatureNum: number;
  readonly level: MdpLevel;
}

interface FieldLock {
  readonly action: 'All' | 'Include' | 'Exclude';
  readonly fields: readonly string[];
}

export interface SignaturePermissions {
  readonly level: MdpLevel;
  readonly locks: readonly FieldLock[];
}

function level(value: PdfValue | undefined): MdpLevel | undefined {
  return value === 1 || value === 2 || value === 3 ? value : undefined;
}

/** The transform entries of a signature dictionary's /Reference array. */
function references(file: PdfFile, sig: PdfDict): PdfDict[] {
  const refs = file.resolve(sig.get('Reference'));
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((r) => {
    const d = file.dict(r);
    return d ? [d] : [];
  });
}

export function certificationOf(file: PdfFile): Certification | undefined {
  try {
    const perms = file.dict(file.catalog().get('Perms'));
    const ref = perms?.get('DocMDP');
    if (!(ref instanceof PdfRef)) return undefined;
    const sig = file.dict(ref);
    if (!sig) return undefined;
    for (const r of references(file, sig)) {
      if (r.name('TransformMethod') !== 'DocMDP') continue;
      const p = level(file.dict(r.get('TransformParams'))?.get('P')) ?? 2;
      return { signatureNum: ref.num, level: p };
    }
    return { signatureNum: ref.num, level: 2 };
  } catch {
    return undefined;
  }
}

function lockOf(file: PdfFile, d: PdfDict | undefined): FieldLock | undefined {
  if (!d) return undefined;
  const action = d.name('Action');
  if (action !== 'All' && action !== 'Include' && action !== 'Exclude') return undefined;
  const list = file.resolve(d.get('Fields'));
  const fields = Array.isArray(list) ? list.flatMap((f) => (f instanceof PdfString ? [f.toText()] : [])) : [];
  return { action, fields };
}

export function permissionsOf(
  file: PdfFile,
  sig: PdfDict | undefined,
  field: FormField,
  certification: Certification | undefined,
): SignaturePermissions {
  const locks: FieldLock[] = [];
  let p: MdpLevel = certification?.level ?? 2;
  try {
    for (const r of sig ? references(file, sig) : []) {
      if (r.name('TransformMethod') === 'FieldMDP') {
        const lock = lockOf(file, file.dict(r.get('TransformParams')));
        if (lock) locks.push(lock);
      }
    }
    const lockDict = file.dict(field.dict.get('Lock'));
    const lock = lockOf(file, lockDict);
    if (lock) locks.push(lock);
    const lockP = level(lockDict?.get('P'));
    if (lockP !== undefined && lockP < p) p = lockP;
  } catch {
    // A damaged lock dictionary locks nothing more; DocMDP still applies.
  }
  return { level: p, locks };
}

function covers(lockName: string, field: string): boolean {
  return field === lockName || field.startsWith(`${lockName}.`);
}

export function isLocked(perms: SignaturePermissions, field: string): boolean {
  return perms.locks.some((l) =>
    l.action === 'All'
      ? true
      : l.action === 'Include'
        ? l.fields.some((f) => covers(f, field))
        : !l.fields.some((f) => covers(f, field)),
  );
}

export function isAllowed(change: Change, perms: SignaturePermissions): boolean {
  switch (change.kind) {
    case 'dss':
    case 'document_timestamp':
    case 'metadata':
      return true;
    case 'signature':
      return perms.level >= 2;
    case 'form_fill':
      return perms.level >= 2 && (change.field === undefined || !isLocked(perms, change.field));
    case 'annotation':
      return perms.level >= 3;
    default:
      return false;
  }
}
