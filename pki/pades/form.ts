/**
 * Staging changes to the interactive form in an incremental update: the AcroForm
 * dictionary, its /Fields array, a page's /Annots array and the catalog. Each is cloned
 * from the file once, changed, and written back under its own object number (or its
 * container's, when it was a direct object), so earlier revisions stay untouched and
 * validators see exactly the objects a new field needs.
 */
import { PkiError } from '../errors';
import type { IncrementalWriter } from '../pdf/incremental';
import { PdfDict, PdfRef, PdfString, type PdfValue } from '../pdf/objects';
import type { PdfReader } from '../pdf/reader';

export class FormUpdate {
  private catalog: PdfDict | undefined;
  private acroForm: PdfDict | undefined;
  private fields: PdfValue[] | undefined;
  private readonly pages = new Map<number, { ref: PdfRef; dict: PdfDict; annots: PdfValue[] }>();

  constructor(
    readonly reader: PdfReader,
    readonly writer: IncrementalWriter,
  ) {}

  /** The catalog as it will be written (cloned on first use). */
  catalogForUpdate(): PdfDict {
    if (!this.catalog) {
      this.catalog = this.reader.catalog().clone();
      this.writer.set(this.reader.catalogRef, this.catalog);
    }
    return this.catalog;
  }

  /** The AcroForm dictionary as it will be written, created when the document has none. */
  acroFormForUpdate(): PdfDict {
    if (this.acroForm) return this.acroForm;
    const raw = this.reader.catalog().get('AcroForm');
    const existing = this.reader.dict(raw);
    const form = existing ? existing.clone() : new PdfDict();
    if (raw instanceof PdfRef && existing) this.writer.set(raw, form);
    else this.catalogForUpdate().set('AcroForm', existing ? form : this.writer.add(form));
    this.acroForm = form;
    return form;
  }

  /** Appends a field (its reference) to the AcroForm's /Fields. */
  addField(field: PdfRef): void {
    if (!this.fields) {
      const form = this.acroFormForUpdate();
      const raw = form.get('Fields');
      const existing = this.reader.array(raw) ?? [];
      this.fields = [...existing];
      if (raw instanceof PdfRef && this.reader.array(raw)) this.writer.set(raw, this.fields);
      else form.set('Fields', this.fields);
    }
    this.fields.push(field);
  }

  /** Appends a widget annotation to page `index` (0-based; negative counts from the end). */
  addAnnotation(pageIndex: number, widget: PdfRef): PdfRef {
    const count = this.reader.pageCount();
    const index = pageIndex < 0 ? count + pageIndex : pageIndex;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new PkiError(
        'invalid_input',
        `The PDF has ${count} page(s); page ${pageIndex + 1} does not exist.`,
      );
    }
    let page = this.pages.get(index);
    if (!page) {
      const ref = this.reader.pageRef(index);
      const dict = this.reader.dict(ref);
      if (!dict) throw new PkiError('pdf_damaged', `Page ${index + 1} is not a dictionary.`);
      const raw = dict.get('Annots');
      const annots = [...(this.reader.array(raw) ?? [])];
      if (raw instanceof PdfRef && this.reader.array(raw)) {
        this.writer.set(raw, annots);
        page = { ref, dict, annots };
      } else {
        const clone = dict.clone();
        clone.set('Annots', annots);
        this.writer.set(ref, clone);
        page = { ref, dict: clone, annots };
      }
      this.pages.set(index, page);
    }
    page.annots.push(widget);
    return page.ref;
  }

  /** Page dictionary (as read) of page `index`, for its MediaBox/rotation. */
  page(index: number): PdfDict {
    const count = this.reader.pageCount();
    const i = index < 0 ? count + index : index;
    const d = this.reader.dict(this.reader.pageRef(i));
    if (!d) throw new PkiError('pdf_damaged', `Page ${i + 1} is not a dictionary.`);
    return d;
  }
}

export interface FieldInfo {
  ref: PdfRef;
  dict: PdfDict;
  /** Fully qualified name (partial names joined with dots). */
  name: string;
  /** Field type, inherited from parents when absent (Sig, Tx, Btn, Ch). */
  type: string | undefined;
}

/** Every terminal field of the AcroForm, depth-first in /Fields order. */
export function listFields(reader: PdfReader): FieldInfo[] {
  const result: FieldInfo[] = [];
  const form = reader.dict(reader.catalog().get('AcroForm'));
  if (!form) return result;
  const seen = new Set<number>();
  const visit = (value: PdfValue, prefix: string, inheritedType: string | undefined, depth: number): void => {
    if (!(value instanceof PdfRef) || seen.has(value.num) || depth > 32) return;
    seen.add(value.num);
    const d = reader.dict(value);
    if (!d) return;
    const partial = d.get('T');
    const name = partial instanceof PdfString ? partial.toText() : '';
    const full = name ? (prefix ? `${prefix}.${name}` : name) : prefix;
    const type = d.name('FT') ?? inheritedType;
    const kids = reader.array(d.get('Kids'));
    // Kids that carry /T are fields; kids without /T are just widgets of this field.
    const fieldKids = kids?.filter((k) => reader.dict(k)?.has('T')) ?? [];
    if (fieldKids.length > 0) for (const kid of fieldKids) visit(kid, full, type, depth + 1);
    else result.push({ ref: value, dict: d, name: full, type });
  };
  for (const field of reader.array(form.get('Fields')) ?? []) visit(field, '', undefined, 0);
  return result;
}

/** A field name not used yet: `base` if free, else `base2`, `base3`, … */
export function freeFieldName(reader: PdfReader, base: string): string {
  const taken = new Set(listFields(reader).map((f) => f.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}
