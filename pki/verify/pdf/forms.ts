/**
 * The interactive form of one revision: its fields (fully qualified names, inherited
 * field types, values), their widget annotations and appearance streams. Signatures are
 * found here, and the change analysis uses it to know what an object *is*.
 */
import { PdfDict, PdfRef, PdfString, type PdfValue } from '../../pdf/objects';
import { damaged } from '../../pdf/parser';
import type { PdfFile } from './file';

export interface FormField {
  /** Fully qualified name: partial names joined with dots. */
  readonly name: string;
  /** /FT, inherited from ancestors when absent. */
  readonly type?: string;
  readonly ref?: PdfRef;
  readonly dict: PdfDict;
  /** The field's /V as written (a reference for signature fields). */
  readonly value?: PdfValue;
  /** Object numbers of the field's widget annotations (the field itself when merged). */
  readonly widgets: readonly number[];
  /** Object numbers of appearance streams (and appearance sub-dictionaries) of its widgets. */
  readonly appearances: readonly number[];
}

export interface Form {
  readonly acroFormRef?: PdfRef;
  readonly acroForm?: PdfDict;
  readonly fieldsArrayRef?: PdfRef;
  readonly fields: readonly FormField[];
  /** Object numbers of every non-terminal field node too (parents with /Kids). */
  readonly nodes: ReadonlySet<number>;
}

const MAX_FIELDS = 100_000;
const MAX_DEPTH = 32;

export function readForm(file: PdfFile, rev: number): Form {
  const catalog = file.catalog(rev);
  const afValue = catalog.get('AcroForm');
  const acroForm = file.dict(afValue, rev);
  if (!acroForm) return { fields: [], nodes: new Set() };
  const fieldsValue = acroForm.get('Fields');
  const top = file.resolve(fieldsValue, rev);
  const fields: FormField[] = [];
  const nodes = new Set<number>();
  const visited = new Set<number>();
  const walk = (
    item: PdfValue | undefined,
    parentName: string,
    parentType: string | undefined,
    depth: number,
  ) => {
    if (depth > MAX_DEPTH) throw damaged('The form field tree is nested too deeply.');
    if (fields.length > MAX_FIELDS) throw damaged('The form has too many fields.');
    const ref = item instanceof PdfRef ? item : undefined;
    if (ref) {
      if (visited.has(ref.num)) return;
      visited.add(ref.num);
    }
    const dict = file.dict(item, rev);
    if (!dict) return;
    const partial = dict.get('T');
    const own = partial instanceof PdfString ? partial.toText() : undefined;
    const name = own === undefined ? parentName : parentName ? `${parentName}.${own}` : own;
    const type = dict.name('FT') ?? parentType;
    const kids = file.resolve(dict.get('Kids'), rev);
    const kidFields = Array.isArray(kids)
      ? kids.filter((k) => {
          const kd = file.dict(k, rev);
          // A kid without /T that is a widget belongs to this field; one with /T is a child field.
          return (
            kd !== undefined && (kd.get('T') !== undefined || kd.get('FT') !== undefined || kd.get('Kids'))
          );
        })
      : [];
    if (kidFields.length > 0) {
      if (ref) nodes.add(ref.num);
      for (const kid of kidFields) walk(kid, name, type, depth + 1);
      return;
    }
    const widgets: number[] = [];
    const appearances: number[] = [];
    const addWidget = (w: PdfValue | undefined, wd: PdfDict) => {
      if (w instanceof PdfRef) widgets.push(w.num);
      collectAppearances(file, rev, wd.get('AP'), appearances);
    };
    if (Array.isArray(kids)) {
      for (const k of kids) {
        const kd = file.dict(k, rev);
        if (kd) addWidget(k, kd);
      }
    } else addWidget(ref, dict);
    fields.push({ name, type, ref, dict, value: dict.get('V'), widgets, appearances });
  };
  if (Array.isArray(top)) for (const f of top) walk(f, '', undefined, 0);
  return {
    acroFormRef: afValue instanceof PdfRef ? afValue : undefined,
    acroForm,
    fieldsArrayRef: fieldsValue instanceof PdfRef ? fieldsValue : undefined,
    fields,
    nodes,
  };
}

function collectAppearances(file: PdfFile, rev: number, ap: PdfValue | undefined, out: number[]): void {
  if (ap instanceof PdfRef) out.push(ap.num);
  const apDict = file.resolve(ap, rev);
  if (!(apDict instanceof PdfDict)) return;
  // /AP holds /N, /R, /D: each a stream or a dictionary of state streams.
  for (const state of apDict.entries.values()) {
    if (state instanceof PdfRef) out.push(state.num);
    const sub = file.resolve(state, rev);
    if (sub instanceof PdfDict)
      for (const s of sub.entries.values()) if (s instanceof PdfRef) out.push(s.num);
  }
}

export function isSignatureField(field: FormField): boolean {
  return field.type === 'Sig';
}
