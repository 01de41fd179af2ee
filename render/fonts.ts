/**
 * Tinos (metric-compatible with Times New Roman, the face the Party guidance names) in its
 * four styles, and the check that every character of a text has a glyph in it — a missing
 * glyph would print as an empty box on an official document, so it is refused instead.
 */
import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
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

interface LoadedFace {
  path: string;
  /** Our own cmap reader, for the coverage check. */
  font: TrueTypeFont;
  /** Parsed once per process: parsing the tables is most of a render's time otherwise. */
  layout: fontkit.Font;
}

const loaded = new Map<FaceName, LoadedFace>();

function face(name: FaceName): LoadedFace {
  let entry = loaded.get(name);
  if (!entry) {
    const path = require.resolve(FILES[name]);
    const bytes = readFileSync(path);
    const layout = fontkit.create(bytes);
    if (!('layout' in layout)) throw new Error(`${path} is a font collection, not a font`);
    ownCodePoints(layout);
    entry = { path, font: new TrueTypeFont(bytes), layout };
    loaded.set(name, entry);
  }
  return entry;
}

/**
 * fontkit caches each glyph with the code points it was first reached by. The subsetter and
 * composite outlines reach glyphs by id alone, so in a shared font a base letter first met as
 * the component of an accented one ("a" inside "ạ") would be cached with none, and every
 * later document would map it to nothing in ToUnicode: its text layer would lose the letter.
 * Reaching every glyph through the character map first gives each its own code point.
 */
function ownCodePoints(font: fontkit.Font): void {
  for (const codePoint of font.characterSet) font.glyphForCodePoint(codePoint);
}

/** The TTF file of a face. */
export function fontPath(name: FaceName): string {
  return face(name).path;
}

/**
 * The parsed font of a face, for pdfkit (which accepts a fontkit font as a source). Shared
 * between documents: fontkit's caches only memoise glyphs (each with its own code points, see
 * ownCodePoints) and layouts, and each document makes its own subset, so output does not
 * depend on what was rendered before.
 */
export function layoutFont(name: FaceName): fontkit.Font {
  return face(name).layout;
}

/** Ascent of a face in em units (baseline below the top of a line box). */
export function ascent(name: FaceName): number {
  return face(name).font.ascent / 1000;
}

const isControl = (cp: number): boolean => cp < 0x20 || (cp >= 0x7f && cp < 0xa0);

function drawable(cp: number, faces: readonly FaceName[]): boolean {
  return !isControl(cp) && faces.every((f) => face(f).font.glyphId(cp) !== 0);
}

/**
 * The text with each character the faces cannot draw shown as "?" (line breaks kept): for
 * listings of what is already stored, where one odd character must not stop the print.
 */
export function printable(text: string, faces: readonly FaceName[] = FACES): string {
  let out = '';
  for (const ch of text) out += ch === '\n' || drawable(ch.codePointAt(0)!, faces) ? ch : '?';
  return out;
}

/**
 * Refuses text with a character that the given faces cannot draw (emoji, CJK, control
 * characters …), naming the field and the character.
 */
export function assertPrintable(text: string, field: string, faces: readonly FaceName[] = FACES): void {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (!drawable(cp, faces)) {
      const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new DomainError(
        'validation',
        `${field}: the character ${isControl(cp) ? '' : `"${ch}" `}(${code}) cannot be printed in the document font`,
        field,
      );
    }
  }
}
