// The small metadata is enough to split a stored E.164 number into country code and national number.
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { ProfileFields } from '../members/profile.ts';
import { ANY_EMAIL, ANY_PHONE, REDACTED } from './erase.ts';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A phone number as people write it: with or without +country, spaces or dashes between digits. */
function phonePattern(e164: string): RegExp {
  const p = parsePhoneNumberFromString(e164);
  const national = p?.nationalNumber ?? e164.replace(/\D/g, '');
  const digits = [...national].join('[\\s-]?');
  const country = p ? `(?:(?:\\+|00)?${p.countryCallingCode}[\\s-]?)?` : '';
  return new RegExp(`${country}${digits}`, 'g');
}

/**
 * Replaces the person's contact points in free text; with `identity`, also the name and the full birthday (an
 * operator's note); with `anyAddress`, anything shaped like a phone number or email address (the touch log, which
 * may quote an address the profile has since replaced). Strings under two characters are not searched for: they
 * would match anywhere.
 */
export function redactorFor(values: ProfileFields, opts: { identity: boolean; anyAddress?: boolean }): (text: string) => string {
  const patterns: RegExp[] = [];
  if (values.email) patterns.push(new RegExp(escapeRe(values.email), 'gi'));
  if (values.phone) patterns.push(phonePattern(values.phone));
  if (opts.identity) {
    if (values.name && values.name.trim().length >= 2) patterns.push(new RegExp(escapeRe(values.name.trim()), 'g'));
    if (values.birthday && /^\d{4}-\d{2}-\d{2}$/.test(values.birthday)) patterns.push(new RegExp(escapeRe(values.birthday), 'g'));
  }
  if (opts.anyAddress) patterns.push(ANY_EMAIL, ANY_PHONE);
  return (text) => patterns.reduce((s, re) => s.replace(re, REDACTED), text);
}
