/**
 * What an incremental update changed, object by object, compared with the revision before
 * it, and what kind of change each one is. Only these kinds can ever be allowed after a
 * signature: a document security store (DSS/VRI), a document timestamp, a new signature
 * (new signature field, its widget, the form and page entries pointing to them, or
 * signing an empty signature field), and filling in form fields. Everything else — page
 * content, annotations, other objects, deleted objects — is reported as `other`.
 *
 * New objects are not judged on their own: they matter only through the existing objects
 * that start referring to them, and those are judged here. A new object that reuses a
 * number the signed revision already referred to would silently fill a dangling reference,
 * so that is caught too.
 */
import { type IndirectObject, PdfDict, PdfRef, PdfStream, type PdfValue, sameValue } from '../pdf/objects';
import type { PdfFile } from './pdf/file';
import { type Form, type FormField, readForm } from './pdf/forms';

export type ChangeKind =
  | 'dss'
  | 'document_timestamp'
  | 'signature'
  | 'form_fill'
  | 'annotation'
  | 'metadata'
  | 'other';

export interface Change {
  /** Index of the revision that made the change (0-based). */
  readonly revision: number;
  readonly object?: number;
  readonly kind: ChangeKind;
  /** For form fill-in: the fully qualified field name. */
  readonly field?: string;
  readonly description: string;
}

const MAX_PAGE_NODES = 200_000;

interface Roles {
  readonly catalogNum?: number;
  readonly form: Form;
  readonly fieldByNum: Map<number, FormField>;
  readonly widgetOwner: Map<number, FormField>;
  readonly appearanceOwner: Map<number, FormField>;
  readonly dss: Set<number>;
  readonly pageNodes: Set<number>;
  readonly annotsArrays: Map<number, number>;
  readonly infoNum?: number;
  readonly metadataNum?: number;
  readonly signatureDicts: Set<number>;
}

function refNum(v: PdfValue | undefined): number | undefined {
  return v instanceof PdfRef ? v.num : undefined;
}

function rolesAt(file: PdfFile, rev: number): Roles {
  const trailer = file.trailer(rev);
  const catalog = file.catalog(rev);
  const form = readForm(file, rev);
  const fieldByNum = new Map<number, FormField>();
  const widgetOwner = new Map<number, FormField>();
  const appearanceOwner = new Map<number, FormField>();
  const signatureDicts = new Set<number>();
  for (const f of form.fields) {
    if (f.ref) fieldByNum.set(f.ref.num, f);
    for (const w of f.widgets) widgetOwner.set(w, f);
    for (const a of f.appearances) appearanceOwner.set(a, f);
    const v = refNum(f.value);
    if (f.type === 'Sig' && v !== undefined) signatureDicts.add(v);
  }
  const dss = new Set<number>();
  collectRefs(file, rev, catalog.get('DSS'), dss, 4);
  const pageNodes = new Set<number>();
  const annotsArrays = new Map<number, number>();
  const walk = (v: PdfValue | undefined, depth: number) => {
    const n = refNum(v);
    if (n === undefined || pageNodes.has(n) || depth > 64 || pageNodes.size > MAX_PAGE_NODES) return;
    pageNodes.add(n);
    const d = file.dict(v, rev);
    if (!d) return;
    const annots = refNum(d.get('Annots'));
    if (annots !== undefined) annotsArrays.set(annots, n);
    const kids = file.resolve(d.get('Kids'), rev);
    if (Array.isArray(kids)) for (const k of kids) walk(k, depth + 1);
  };
  walk(catalog.get('Pages'), 0);
  return {
    catalogNum: refNum(trailer.get('Root')),
    form,
    fieldByNum,
    widgetOwner,
    appearanceOwner,
    dss,
    pageNodes,
    annotsArrays,
    infoNum: refNum(trailer.get('Info')),
    metadataNum: refNum(catalog.get('Metadata')),
    signatureDicts,
  };
}

/** Object numbers referenced from `v` down to `depth` levels (for the DSS and its VRI). */
function collectRefs(
  file: PdfFile,
  rev: number,
  v: PdfValue | undefined,
  out: Set<number>,
  depth: number,
): void {
  if (depth < 0 || v === undefined || v === null) return;
  if (v instanceof PdfRef) {
    if (out.has(v.num)) return;
    out.add(v.num);
    collectRefs(file, rev, file.resolve(v, rev), out, depth - 1);
  } else if (Array.isArray(v)) {
    for (const x of v) collectRefs(file, rev, x, out, depth);
  } else if (v instanceof PdfDict) {
    for (const x of v.entries.values()) collectRefs(file, rev, x, out, depth);
  } else if (v instanceof PdfStream) {
    collectRefs(file, rev, v.dict, out, depth);
  }
}

function changedKeys(a: PdfDict, b: PdfDict, ignore: readonly string[] = []): string[] {
  const keys = new Set([...a.entries.keys(), ...b.entries.keys()]);
  return [...keys].filter((k) => !ignore.includes(k) && !sameValue(a.get(k), b.get(k)));
}

function dictOf(v: PdfValue | undefined): PdfDict | undefined {
  if (v instanceof PdfDict) return v;
  if (v instanceof PdfStream) return v.dict;
  return undefined;
}

/** Everything revision `rev` changed relative to revision `rev - 1`. */
export function revisionChanges(file: PdfFile, rev: number): Change[] {
  const prev = rev - 1;
  const before = rolesAt(file, prev);
  const after = readForm(file, rev);
  const changes: Change[] = [];
  const add = (kind: ChangeKind, description: string, object?: number, field?: string) => {
    changes.push({ revision: rev, object, kind, field, description });
  };

  const prevNames = new Set(before.form.fields.map((f) => f.name));
  const newFields = after.fields.filter((f) => !prevNames.has(f.name));
  const newFieldNums = new Set(newFields.flatMap((f) => (f.ref ? [f.ref.num] : [])));
  const newWidgets = new Map<number, FormField>();
  for (const f of newFields) for (const w of f.widgets) newWidgets.set(w, f);
  const signingKind = (f: FormField): ChangeKind =>
    dictOf(file.resolve(f.value, rev))?.name('Type') === 'DocTimeStamp' ? 'document_timestamp' : 'signature';
  const nowByName = new Map(after.fields.map((f) => [f.name, f]));
  const attachedSignatures = new Set(
    after.fields.flatMap((f) => (f.value instanceof PdfRef ? [f.value.num] : [])),
  );

  for (const f of newFields) {
    if (f.type === 'Sig') {
      const kind = signingKind(f);
      add(
        kind,
        `${kind === 'document_timestamp' ? 'Document timestamp' : 'Signature field'} "${f.name}" added.`,
      );
    }
  }

  // Trailer: a new catalog or info dictionary is judged like a change of the old one.
  const trailerBefore = file.trailer(prev);
  const trailerAfter = file.trailer(rev);
  for (const key of changedKeys(trailerBefore, trailerAfter, [
    'Prev',
    'Size',
    'ID',
    'XRefStm',
    'Length',
    'Filter',
    'DecodeParms',
    'W',
    'Index',
    'Type',
  ])) {
    if (key === 'Root') {
      compareCatalog(file.catalog(prev), file.catalog(rev), before.catalogNum);
    } else if (key === 'Info') add('metadata', 'The document information dictionary was replaced.');
    else add('other', `The trailer entry /${key} changed.`);
  }

  const written = file.entriesWrittenIn(rev);
  const structural = file.xrefStreamsOf(rev);
  const prevSize = typeof trailerBefore.get('Size') === 'number' ? (trailerBefore.get('Size') as number) : 0;
  let referencedBefore: Set<number> | undefined;

  for (const [num, entry] of written) {
    if (num === 0 || structural.has(num)) continue;
    let oldObj: IndirectObject | undefined;
    try {
      oldObj = file.object(num, prev);
    } catch {
      oldObj = undefined;
    }
    if (entry.type === 0) {
      if (oldObj) add('other', `Object ${num} of the signed revision was deleted.`, num);
      continue;
    }
    const newObj = file.object(num, rev);
    if (!oldObj) {
      // A signature dictionary no field points to: a signature was detached or its field broken.
      const d = dictOf(newObj?.value);
      if (
        d?.get('ByteRange') !== undefined &&
        d.get('Contents') !== undefined &&
        !attachedSignatures.has(num)
      ) {
        add('other', `A signature dictionary (object ${num}) is not attached to any signature field.`, num);
      }
      if (num < prevSize) {
        referencedBefore ??= allReferences(file, prev);
        if (referencedBefore.has(num)) {
          add('other', `Object ${num}, referred to but missing in the signed revision, was filled in.`, num);
        }
      }
      continue;
    }
    if (!newObj || sameValue(oldObj.value, newObj.value)) continue;
    classify(num, oldObj.value, newObj.value);
  }
  return changes;

  function classify(num: number, oldValue: PdfValue, newValue: PdfValue) {
    const oldDict = dictOf(oldValue);
    const newDict = dictOf(newValue);
    if (num === before.catalogNum && oldDict && newDict) return compareCatalog(oldDict, newDict, num);
    if (before.dss.has(num)) return add('dss', `Document security store object ${num} updated.`, num);
    if (num === before.form.acroFormRef?.num && oldDict && newDict)
      return compareAcroForm(oldDict, newDict, num);
    if (num === before.form.fieldsArrayRef?.num) return compareFieldList(oldValue, newValue, num);
    const field = before.fieldByNum.get(num);
    if (field && oldDict && newDict) return compareField(field, oldDict, newDict, num);
    const widgetOf = before.widgetOwner.get(num);
    if (widgetOf && oldDict && newDict) return compareWidget(widgetOf, oldDict, newDict, num);
    const apOf = before.appearanceOwner.get(num);
    if (apOf) return appearanceChanged(apOf, num);
    if (before.annotsArrays.has(num)) return compareAnnots(oldValue, newValue, num);
    if (before.pageNodes.has(num) && oldDict && newDict) return comparePage(oldDict, newDict, num);
    if (num === before.infoNum)
      return add('metadata', 'Document information (title, dates, producer) updated.', num);
    if (num === before.metadataNum) return add('metadata', 'XMP metadata updated.', num);
    if (before.signatureDicts.has(num))
      return add('other', `The signature dictionary ${num} was changed.`, num);
    if (before.form.nodes.has(num)) return add('other', `Form field node ${num} was changed.`, num);
    add('other', `Object ${num} (${describe(oldValue)}) was changed.`, num);
  }

  function compareCatalog(oldDict: PdfDict, newDict: PdfDict, num: number | undefined) {
    for (const key of changedKeys(oldDict, newDict)) {
      if (key === 'DSS') add('dss', 'Document security store (DSS) added or replaced.', num);
      else if (key === 'Extensions') add('dss', 'Developer extensions (e.g. ESIC for PAdES) declared.', num);
      else if (key === 'AcroForm') {
        const o = file.dict(oldDict.get('AcroForm'), prev);
        const n = file.dict(newDict.get('AcroForm'), rev);
        if (o && n) compareAcroForm(o, n, num);
        else add('other', 'The interactive form was removed or replaced.', num);
      } else if (key === 'Metadata') add('metadata', 'XMP metadata replaced.', num);
      else if (key === 'Version') add('metadata', 'The PDF version number was raised.', num);
      else add('other', `The document catalog entry /${key} changed.`, num);
    }
  }

  function compareAcroForm(oldDict: PdfDict, newDict: PdfDict, num: number | undefined) {
    for (const key of changedKeys(oldDict, newDict)) {
      if (key === 'Fields') compareFieldList(oldDict.get('Fields'), newDict.get('Fields'), num);
      else if (key === 'SigFlags') add('signature', 'Signature flags of the form set.', num);
      else if (key === 'DR' || key === 'DA' || key === 'NeedAppearances') {
        add(
          newFields.some((f) => f.type === 'Sig') ? 'signature' : 'form_fill',
          `Form entry /${key} updated.`,
          num,
        );
      } else add('other', `The interactive form entry /${key} changed.`, num);
    }
  }

  function compareFieldList(oldValue: PdfValue | undefined, newValue: PdfValue | undefined, num?: number) {
    const o = file.resolve(oldValue, prev);
    const n = file.resolve(newValue, rev);
    const oldRefs = Array.isArray(o) ? o : [];
    const newRefs = Array.isArray(n) ? n : [];
    const newNums = new Set(newRefs.map(refNum));
    if (oldRefs.some((r) => !newNums.has(refNum(r)))) add('other', 'A form field was removed.', num);
    const oldNums = new Set(oldRefs.map(refNum));
    for (const r of newRefs) {
      const rn = refNum(r);
      if (oldNums.has(rn)) continue;
      const isNewSig =
        rn !== undefined &&
        newFieldNums.has(rn) &&
        after.fields.some((f) => f.ref?.num === rn && f.type === 'Sig');
      // New signature fields were reported above; any other new field is not allowed.
      if (!isNewSig)
        add('other', `A form field (object ${rn ?? 'direct'}) other than a signature was added.`, num);
    }
  }

  function compareField(field: FormField, oldDict: PdfDict, newDict: PdfDict, num: number) {
    const keys = changedKeys(oldDict, newDict);
    if (field.type === 'Sig') {
      if (field.value !== undefined && keys.includes('V')) {
        return add('other', `The signature in field "${field.name}" was replaced.`, num);
      }
      const extra = keys.filter((k) => !['V', 'AP', 'AS', 'Lock', 'SV'].includes(k));
      if (extra.length > 0)
        return add('other', `Signature field "${field.name}" changed (/${extra.join(', /')}).`, num);
      if (keys.includes('V')) {
        const now = nowByName.get(field.name);
        return add(
          now ? signingKind(now) : 'signature',
          `Empty signature field "${field.name}" signed.`,
          num,
        );
      }
      return add('other', `The appearance of signature field "${field.name}" changed.`, num);
    }
    const extra = keys.filter((k) => !['V', 'AP', 'AS'].includes(k));
    if (extra.length > 0)
      return add('other', `Form field "${field.name}" changed (/${extra.join(', /')}).`, num);
    add('form_fill', `Form field "${field.name}" filled in.`, num, field.name);
  }

  function compareWidget(field: FormField, oldDict: PdfDict, newDict: PdfDict, num: number) {
    const extra = changedKeys(oldDict, newDict).filter((k) => !['AP', 'AS', 'MK'].includes(k));
    if (extra.length > 0)
      return add('other', `A widget of field "${field.name}" changed (/${extra.join(', /')}).`, num);
    fieldAppearance(field, num);
  }

  function appearanceChanged(field: FormField, num: number) {
    fieldAppearance(field, num);
  }

  /** An appearance may change only along with its field's value (fill-in or signing). */
  function fieldAppearance(field: FormField, num: number) {
    const now = nowByName.get(field.name);
    const valueChanged = now !== undefined && !sameValue(field.value, now.value);
    if (!valueChanged)
      return add('other', `The appearance of field "${field.name}" changed without its value.`, num);
    if (field.type === 'Sig')
      add(signingKind(now), `Appearance of signature field "${field.name}" set.`, num);
    else add('form_fill', `Appearance of form field "${field.name}" updated.`, num, field.name);
  }

  function comparePage(oldDict: PdfDict, newDict: PdfDict, num: number) {
    for (const key of changedKeys(oldDict, newDict)) {
      if (key === 'Annots') compareAnnots(oldDict.get('Annots'), newDict.get('Annots'), num);
      else add('other', `Page object ${num}: /${key} changed.`, num);
    }
  }

  function compareAnnots(oldValue: PdfValue | undefined, newValue: PdfValue | undefined, num: number) {
    const o = file.resolve(oldValue, prev);
    const n = file.resolve(newValue, rev);
    const oldRefs = Array.isArray(o) ? o : [];
    const newRefs = Array.isArray(n) ? n : [];
    const oldNums = new Set(oldRefs.map(refNum));
    const newNums = new Set(newRefs.map(refNum));
    if (oldRefs.some((r) => !(r instanceof PdfRef) || !newNums.has(r.num))) {
      add('other', `An annotation was removed from or changed on page object ${num}.`, num);
    }
    for (const r of newRefs) {
      const rn = refNum(r);
      if (rn !== undefined && oldNums.has(rn)) continue;
      const owner = rn === undefined ? undefined : newWidgets.get(rn);
      if (owner?.type === 'Sig') continue; // the widget of a new signature field
      const subtype = file.dict(r, rev)?.name('Subtype');
      if (subtype === 'Widget')
        add('other', `A widget (object ${rn ?? 'direct'}) of a non-signature field was added.`, num);
      else add('annotation', `A ${subtype ?? 'new'} annotation was added on page object ${num}.`, rn ?? num);
    }
  }
}

function describe(v: PdfValue): string {
  const d = dictOf(v);
  const type = d?.name('Type');
  if (v instanceof PdfStream) return type ? `a /${type} stream` : 'a stream, e.g. page content';
  if (type) return `/${type}`;
  if (Array.isArray(v)) return 'an array';
  return d ? 'a dictionary' : 'a value';
}

/** Every object number referenced anywhere reachable from the trailer of `rev`. */
function allReferences(file: PdfFile, rev: number): Set<number> {
  const seen = new Set<number>();
  const stack: PdfValue[] = [file.trailer(rev)];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof PdfRef) {
      if (seen.has(v.num)) continue;
      seen.add(v.num);
      try {
        const o = file.object(v.num, rev);
        if (o) stack.push(o.value);
      } catch {
        // unreadable objects add no references
      }
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v instanceof PdfDict) stack.push(...v.entries.values());
    else if (v instanceof PdfStream) stack.push(...v.dict.entries.values());
  }
  return seen;
}
