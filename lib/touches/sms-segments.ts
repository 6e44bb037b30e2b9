/**
 * SMS length and segment counting (GSM 03.38 / 3GPP TS 23.038), as carriers bill it.
 *
 * - GSM-7: every character is in the GSM basic character set or its extension table. Basic characters take one
 *   septet, extension characters (`€ [ ] { } ^ ~ | \` and form feed) take two (escape + character).
 *   160 septets fit in one message; a multipart message carries 153 per part (the rest is the UDH header).
 * - UCS-2: any other character (Chinese, emoji, curly quotes, ...) switches the whole message to 16-bit
 *   units. 70 units fit in one message, 67 per part. Characters outside the BMP (most emoji) are surrogate pairs
 *   and count as 2 units.
 *
 * Parts are packed greedily and a two-septet escape sequence or a surrogate pair is never split across parts
 * (handsets cannot reassemble a split one), so a part occasionally carries one unit fewer than its maximum.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsMeasure {
  encoding: SmsEncoding;
  /** Billing units: septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  characters: number;
  /** Messages the carrier sends and bills; 0 for empty text. */
  segments: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

export const SMS_LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const satisfies Record<SmsEncoding, { single: number; part: number }>;

/** Septets of one character in GSM-7, or undefined when the character is not in the GSM character set. */
function gsmSeptets(ch: string): 1 | 2 | undefined {
  if (BASIC.has(ch)) return 1;
  if (EXTENSION.has(ch)) return 2;
  return undefined;
}

/** Units of each character (a code point) in the chosen encoding. */
function unitsOf(text: string): { encoding: SmsEncoding; units: number[] } {
  const gsm: number[] = [];
  for (const ch of text) {
    const s = gsmSeptets(ch);
    if (s === undefined) {
      // Iterating a string yields code points: a surrogate pair is one item of length 2.
      return { encoding: 'UCS-2', units: Array.from(text, (c) => c.length) };
    }
    gsm.push(s);
  }
  return { encoding: 'GSM-7', units: gsm };
}

/** Parts needed to carry `units` (indivisible items) in parts of at most `part` units. */
function packParts(units: number[], part: number): number {
  let parts = 1;
  let used = 0;
  for (const u of units) {
    if (used + u > part) {
      parts += 1;
      used = 0;
    }
    used += u;
  }
  return parts;
}

export function measureSms(text: string): SmsMeasure {
  const { encoding, units } = unitsOf(text);
  const characters = units.reduce((a, b) => a + b, 0);
  const limits = SMS_LIMITS[encoding];
  let segments: number;
  if (characters === 0) segments = 0;
  else if (characters <= limits.single) segments = 1;
  else segments = packParts(units, limits.part);
  return { encoding, characters, segments };
}

/** True when every character of `text` can be sent in GSM-7. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsmSeptets(ch) === undefined) return false;
  return true;
}
