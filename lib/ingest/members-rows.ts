import type { MomentsConfig } from '../config/schema.ts';
import { MEMBER_COLUMNS, MEMBER_HEADER_ALIASES, REQUIRED_MEMBER_COLUMNS, type MemberColumn } from '../csv/headers.ts';
import { parseMemberRow, type MemberRowContext } from '../members/parse-member-row.ts';
import { mergeProfile, profileValues, sameProfile, type MemberProfile } from '../members/profile.ts';
import { mapHeader, pick } from './header-map.ts';
import type { CustomerStore, PutOutcome } from './ports.ts';
import type { RowHandler, RowRefused } from './row-handler.ts';
import { erasedMemberRow } from '../members/erasure.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import { mapLanes } from '../pool.ts';
import { anonymousIds } from './anonymous-sales.ts';

/**
 * Read-merge-write of a profile under optimistic concurrency; the merge is order-independent. An erased customer's
 * profile is never written again: the erasure bumps the revision, so a write that raced it fails and finds the tombstone.
 */
export async function applyProfile(store: CustomerStore, update: MemberProfile, line = 0): Promise<PutOutcome | RowRefused> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const { rev, profile, erased } = await store.loadProfile(update.customerId);
    if (erased) return { refused: [erasedMemberRow(update.customerId, erased, line)] };
    const merged = mergeProfile(profile, update);
    if (profile && sameProfile(profile, merged)) return 'unchanged';
    if (await store.saveProfile(merged, rev)) return 'written';
    await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
  }
  throw new Error(`member ${update.customerId}: profile kept changing under 20 attempts`);
}

export function membersRowHandler(
  header: string[],
  config: MomentsConfig,
  /** The version of rows without updated_at, and when the file was received (lib/members/profile.ts fieldVersion). */
  versions: Pick<MemberRowContext, 'defaultVersionMs' | 'uploadMs'>,
  store: CustomerStore,
  file: string,
  concurrency = 16,
): RowHandler<MemberProfile> {
  const map = mapHeader<MemberColumn>(header, MEMBER_COLUMNS, MEMBER_HEADER_ALIASES, config.columns.members, REQUIRED_MEMBER_COLUMNS);
  const touched = new Map<string, boolean>();
  const anonymous = anonymousIds(config);
  return {
    missing: map.missing,
    ignored: map.ignored,
    parse(fields, line, onFieldErrors) {
      const { profile, errors } = parseMemberRow(pick(fields, map), { config, ...versions, line, file });
      if (!profile) return errors;
      // A walk-in card is nobody: no profile, no consent, no state item (so never a touch).
      if (anonymous.has(profile.customerId))
        return [
          {
            line,
            column: 'customer_id',
            value: profile.customerId,
            reason: 'customer id is in brand.anonymousCustomerIds (walk-in sales): no member profile is kept for it',
          },
        ];
      if (errors.length) onFieldErrors(errors);
      touched.set(profile.customerId, true);
      return profile;
    },
    async applyAll(profiles, lines) {
      const outcomes = await mapLanes(profiles.map((p, i) => [p, lines[i] ?? 0] as const), concurrency, ([p, line]) => applyProfile(store, p, line));
      const refused = outcomes.filter((o): o is RowRefused => typeof o === 'object').map((o) => o.refused);
      return { unchanged: outcomes.filter((o) => o === 'unchanged').length, refused };
    },
    touched: () => touched,
    // A member with no orders yet still needs a state item (the prospect stage, the export, the nightly);
    // a changed birthday moves the customer's due dates.
    async finish(customerId, _wrote, asOf) {
      const rec = await store.loadCustomer(customerId);
      const birthday = profileValues(rec.profile).birthday;
      // Without a derivation the nightly re-derives from the orders and the profile anyway.
      if (!rec.state || (rec.derived && (rec.derived.birthday ?? null) !== birthday)) await refreshCustomer(store, customerId, config, asOf, true);
      return undefined;
    },
  };
}
