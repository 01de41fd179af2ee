/**
 * Tinos (metric-compatible with Times New Roman, the face the Party guidance names) in its
 * four styles, and the check that every character of a text has a glyph in it — a missing
 * glyph would print as an empty box on an official document, so it is refused instead.
 */
import { readFileSync } from 'node:fs';
import { DomainError } from '../domain/errors';
import { TrueTypeFont } from '../pki/pdf/font';

export type FaceName = 'regular' | 'bold' | 'italic' | 'boldItalic';

const FILES: Record<FaceName, string> = {
  regular: '@expo-google-fonts/tinos/400Regular/Tinos_400Regular.ttf',
  bold: '@expo-google-fonts/tinos/700Bold/Tinos_700Bold.ttf',
  italic: '@expo-google-fonts/tinos/400Regular_Italic/Tinos_400Regular_Italic.ttf',
  boldItalic: '@expo-google-fonts/tinos/700Bold_Italic/Tinos_700Bold_Italic.ttf',
};

export const FACES = Object.keys(FILES) as FaceName[];

const loaded = new Map<FaceName, { path: string; font: TrueTypeFont }>();

function face(name: FaceName): { path: string; font: TrueTypeFont } {
  let entry = loaded.get(name);
  if (!entry) {
    const path = require.resolve(FILES[name]);
    entry = { path, font: new TrueTypeFont(readFileSync(path)) };
    loaded.set(name, entry);
  }
  return entry;
}

/** The TTF file of a face, to register with the PDF writer. */
export function fontPath(name: FaceName): string {
  return face(name).path;
}

/** Ascent of a face in em units (baseline below the top of a line box). */
export function ascent(name: FaceName): number {
  return face(name).font.ascent / 1000;
}

/**
 * Refuses text with a character that the given faces cannot draw (emoji, CJK, control
 * characters …), naming the field and the character.
 */
export function assertPrintable(text: string, field: string, faces: readonly FaceName[] = FACES): void {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const control = cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
    if (control || faces.some((f) => face(f).font.glyphId(cp) === 0)) {
      const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new DomainError(
        'validation',
        `${field}: the character ${control ? '' : `"${ch}" `}(${code}) cannot be printed in the document font`,
        field,
      );
    }
  }
}
