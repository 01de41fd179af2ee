/**
 * Document types are data: the default table ships in document-types.json and is copied
 * into the database, where an office may correct an abbreviation without a release.
 */
import defaults from './document-types.json';
import { DomainError } from './errors';

export interface DocumentType {
  /** Stable ASCII key used in the API and the database. */
  code: string;
  name: string;
  nameEn: string;
  /** Abbreviation in Party numbers (`12-CT/TU`), or null when the type has none. */
  party: string | null;
  /** Abbreviation in State numbers (`12/QĐ-UBND`), or null when the type has none. */
  state: string | null;
}

export const DEFAULT_DOCUMENT_TYPES: readonly DocumentType[] = defaults.types;

export class DocumentTypeTable {
  private readonly byCode: ReadonlyMap<string, DocumentType>;
  constructor(readonly types: readonly DocumentType[]) {
    this.byCode = new Map(types.map((t) => [t.code, t]));
  }

  get(code: string): DocumentType {
    const type = this.byCode.get(code);
    if (!type) {
      throw new DomainError(
        'validation',
        `unknown document type "${code}"; known types: ${[...this.byCode.keys()].join(', ')}`,
        'type',
      );
    }
    return type;
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }
}
