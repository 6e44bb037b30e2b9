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
 *   Chinese always is, GBK Chinese almost never (no random name of two to four GB2312 characters out of 200,000
 *   is: the 3-byte UTF-8 form needs a lead byte E0-EF after trail bytes that GBK text does not line up that way).
 * What cannot: a GBK row that happens to be valid UTF-8 in a UTF-8 file (it reads as Latin or Cyrillic letters),
 * and accented Latin (2-byte UTF-8, which is also valid GBK) in a GBK file.
 */

const LABEL: Record<TextEncoding, string> = { utf8: 'UTF-8', gb18030: 'GB18030 (GBK)', utf16le: 'UTF-16LE', utf16be: 'UTF-16BE' };

/** Text the decoder produced from bytes it could not read. */
const UNDECODABLE = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NON_ASCII = /[^\x00-\x7f]/;
/** CJK ideographs, radicals, CJK punctuation, kana, Hangul and full-width forms. */
const CJK = /[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]/;

/** True when a stretch of decoded text may hold a row `rowEncodingProblem` rejects (a cheap test per chunk). */
export function mayHaveEncodingProblem(text: string, encoding: TextEncoding): boolean {
  return encoding === 'gb18030' ? NON_ASCII.test(text) : UNDECODABLE.test(text);
}

/** Why a record's fields are not text in `encoding`, or undefined when they are. */
export function rowEncodingProblem(fields: readonly string[], encoding: TextEncoding): string | undefined {
  const odd = fields.filter((f) => NON_ASCII.test(f));
  if (odd.length === 0) return undefined;
  if (odd.some((f) => UNDECODABLE.test(f))) return `bytes invalid in ${LABEL[encoding]}: the row cannot be read without guessing (re-export the file in one encoding)`;
  if (encoding !== 'gb18030') return undefined;
  // The row's own bytes: GB18030 decoding is lossless, so encoding the text again gives them back.
  const bytes = iconv.encode(odd.join(','), 'gb18030');
  let asUtf8: string;
  try {
    asUtf8 = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (CJK.test(asUtf8))
    return 'mixed encoding: the file is GB18030 (GBK) but this row is UTF-8, read as GBK it would be garbled (re-export the file in one encoding)';
  return undefined;
}
