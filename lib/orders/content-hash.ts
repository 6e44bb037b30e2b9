/**
 * A 64-bit content hash of an order row's fields, fed field by field: the version of every stored order carries one,
 * so two versions with the same time are equal only when their content is (lib/orders/order.ts).
 *
 * Why not SHA-1: this runs for every row of every upload. Joining the fields into one string, encoding it to UTF-8
 * and hashing it cryptographically cost about 1 µs a row, more than the rest of the row's validation; no adversary is
 * involved (a brand's own export, compared only with other versions of the same order). The mixing is cyrb53's
 * (bryc, public domain): two 32-bit multiply-xor lanes over UTF-16 code units, cross-mixed at the end. A field
 * separator goes between fields, so ("ab", "c") and ("a", "bc") differ; numbers are mixed as numbers.
 */
export class ContentHash {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  /** Adds a text field (undefined is the empty field). */
  text(s: string | undefined): this {
    let h1 = this.h1;
    let h2 = this.h2;
    if (s !== undefined)
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 2654435761);
        h2 = Math.imul(h2 ^ c, 1597334677);
      }
    this.h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    this.h2 = Math.imul(h2 ^ 0x1f, 1597334677);
    return this;
  }

  /** Adds a whole number field (safe integers: epoch ms, minor units, points); undefined is the empty field. */
  number(n: number | undefined): this {
    if (n === undefined) return this.text(undefined);
    const lo = n % 0x1_0000_0000 | 0;
    const hi = Math.floor(n / 0x1_0000_0000) | 0;
    this.h1 = Math.imul(Math.imul(this.h1 ^ lo, 2654435761) ^ hi, 2654435761);
    this.h2 = Math.imul(Math.imul(this.h2 ^ lo, 1597334677) ^ hi, 1597334677);
    return this.text('');
  }

  /** The 64 bits as 16 lowercase hex digits. Reads the state; the hash can go on. */
  hex(): string {
    return this.write(0, 0).toString('latin1', 16, 32);
  }

  /**
   * An order version: `<epoch ms, 15 digits>|<the 64 bits as 16 hex digits>`, sortable as a string. Written into a
   * scratch buffer and read out as one flat string: five times faster than toString(16), padStart and join, which
   * cost more than the hash itself (measured), and no rope is kept alive per stored order.
   */
  version(ms: number): string {
    return this.write(Math.max(0, Math.floor(ms)), 15).toString('latin1', 0, 32);
  }

  private write(ms: number, digits: number): Buffer {
    let m = ms;
    for (let i = digits - 1; i >= 0; i--) {
      const q = Math.floor(m / 10);
      scratch[i] = 48 + (m - q * 10);
      m = q;
    }
    scratch[15] = 124; // '|'
    let h1 = Math.imul(this.h1 ^ (this.h1 >>> 16), 2246822507);
    h1 ^= Math.imul(this.h2 ^ (this.h2 >>> 13), 3266489909);
    let h2 = Math.imul(this.h2 ^ (this.h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    for (let i = 0; i < 8; i++) {
      scratch[16 + i] = HEX[(h2 >>> (28 - 4 * i)) & 15]!;
      scratch[24 + i] = HEX[(h1 >>> (28 - 4 * i)) & 15]!;
    }
    return scratch;
  }
}

const scratch = Buffer.alloc(32);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
