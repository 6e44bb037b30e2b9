import iconv from 'iconv-lite';
import type { TextEncoding } from './open-text.ts';

/**
 * Rows whose bytes are not in the file's encoding. The encoding is sniffed from the first 256 KiB; a file that
 * was appended to by another tool can change encoding further down, and its rows would be stored garbled
 * (`寮犱紵` for 张伟 in UTF-8 read as GBK, `����` for GBK read as UTF-8). Such a row is rejected, its neighbours
 * are not. What can be told:
 * - bytes invalid in the encoding: the decoder put U+FFFD (or, from UTF-16, left a lone surrogate) in the text.
 *   A U+FFFD that was in the file as such is rejected too: the text was garbled before it was exported.
 * - in a file read as GB18030 (GBK), a row that is valid UTF-8 and, read so, holds a CJK character: UTF-8
 *   Chinese always is; GBK Chinese next to never, as a CJK character in UTF-8 is a lead byte E2-EF and two bytes
 *   80-BF (four bytes from F0 for the rare ones), and GBK's byte pairs rarely line up so: of 200,000 random names
 *   of two to four common GB2312 characters about 1 in 70 is valid UTF-8 at all, and none holds a CJK character.
 * What cannot: a GBK row that happens to be valid UTF-8 in a UTF-8 file (it reads as Latin or Cyrillic letters),
 * and accented Latin (2-byte UTF-8, which is also valid GBK) in a GBK file.
 */

const LABEL: Record<TextEncoding, string> = { utf8: 'UTF-8', gb18030: 'GB18030 (GBK)', utf16le: 'UTF-16LE', utf16be: 'UTF-16BE' };

/** Text the decoder produced from bytes it could not read. */
const UNDECODABLE = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What UNDECODABLE needs, as one character class: a fast scan of a whole chunk. */
const MAYBE_UNDECODABLE = /[\uFFFD\uD800-\uDFFF]/;
const NON_ASCII = /[^\x00-\x7f]/;

/** CJK ideographs, radicals, CJK punctuation, kana, Hangul and full-width forms. */
function isCjk(cp: number): boolean {
  return (cp >= 0x2e80 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xffef) || (cp >= 0x20000 && cp <= 0x3ffff);
}

/**
 * True when `b` is valid UTF-8 holding a CJK character. By hand rather than a fatal TextDecoder: this runs for
 * every row of a GBK file, and an invalid one (nearly all) would cost an exception each.
 */
export function isUtf8WithCjk(b: Uint8Array): boolean {
  let cjk = false;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let cp: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else return false;
    for (let k = 1; k <= n; k++) {
      const t = b[i + k];
      if (t === undefined || (t & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (t & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    if (isCjk(cp)) cjk = true;
    i += n + 1;
  }
  return cjk;
}

const gb18030 = iconv.getEncoder('gb18030');

/** True when a stretch of decoded text may hold a row `rowEncodingProblem` rejects (a cheap test per chunk). */
export function mayHaveEncodingProblem(text: string, encoding: TextEncoding): boolean {
  if (encoding === 'gb18030') return NON_ASCII.test(text);
  // The UTF-8 decoder never leaves a lone surrogate, only U+FFFD; the UTF-16 ones do.
  return encoding === 'utf8' ? text.includes('\uFFFD') : MAYBE_UNDECODABLE.test(text);
}

/** Why a record's fields are not text in `encoding`, or undefined when they are. */
export function rowEncodingProblem(fields: readonly string[], encoding: TextEncoding): string | undefined {
  const odd = fields.filter((f) => NON_ASCII.test(f));
  if (odd.length === 0) return undefined;
  if (odd.some((f) => MAYBE_UNDECODABLE.test(f) && UNDECODABLE.test(f)))
    return `bytes invalid in ${LABEL[encoding]}: the row cannot be read without guessing (re-export the file in one encoding)`;
  if (encoding !== 'gb18030') return undefined;
  // The row's own bytes: GB18030 decoding is lossless, so encoding the text again gives them back. (The encoder
  // keeps state only for a surrogate pair cut between writes; decoded text has none cut.)
  if (isUtf8WithCjk(gb18030.write(odd.join(','))))
    return 'mixed encoding: the file is GB18030 (GBK) but this row is UTF-8, read as GBK it would be garbled (re-export the file in one encoding)';
  return undefined;
}
