/**
 * The longest text each stored field may hold, in UTF-16 code units (String.length), the one home of these bounds.
 *
 * Every value read from an export ends up in a DynamoDB item (an order version, a profile, the customer's state, a
 * touch's variables), and an item is at most 400 KB: one 450 KB name used to fail the whole file with DynamoDB's
 * item size error, with no reject report and no ledger entry. The bounds are far above real data (names of a few
 * dozen characters, store codes of ten) and together keep an item well below the limit: an order version with every
 * field at its bound is under 20 KB (products: 100 codes of 128), a profile under 3 KB
 * (test/unit/field-limits.test.ts). A value over its bound is rejected with its column: a member row's alone (the
 * other values are kept), an order row whole.
 */
export const MAX_FIELD_CHARS = {
  /** customer_id, order_id, original_order_id and each product code (the id pattern's length). */
  id: 128,
  /** Member name. */
  name: 200,
  /** RFC 5321's limit on an address. */
  email: 254,
  /** As written in the export, before it is normalised to E.164 (at most 16). */
  phone: 64,
  /** BCP 47 tags: RFC 5646 asks for at least 35 to be supported. */
  locale: 35,
  /** IANA names are at most 32 today. */
  timeZone: 64,
  storeId: 128,
  channel: 100,
  region: 200,
} as const;

export type BoundedField = keyof typeof MAX_FIELD_CHARS;

/** Product codes on one order (the products column). */
export const MAX_PRODUCTS_PER_ORDER = 100;

/** The reason a value is rejected for its length, or undefined when it fits. */
export function tooLong(field: BoundedField, value: string): string | undefined {
  const max = MAX_FIELD_CHARS[field];
  return value.length > max ? `too long: ${value.length} characters, at most ${max}` : undefined;
}

/**
 * An over-long value as the reject report shows it: its start, then how long it was. The report is opened in Excel,
 * whose cells hold at most 32,767 characters, and it need not carry the whole of a runaway value to point at it.
 */
export function reportedValue(value: string, keep = 200): string {
  return value.length > keep ? `${value.slice(0, keep)}… (${value.length} characters)` : value;
}
