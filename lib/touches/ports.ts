import type { Channel } from '../config/campaigns-schema.ts';
import type { TouchRecord } from './touch.ts';

export interface TouchStore {
  /** Records the intent; false when the touch key exists already (a rerun nightly plans nothing twice). */
  create(t: TouchRecord): Promise<boolean>;
  get(key: string): Promise<TouchRecord | undefined>;
  /** Writes the touch if its revision is still `expectedRev`. */
  update(t: TouchRecord, expectedRev: number): Promise<boolean>;
  /** The customer's touches (frequency cap). */
  recent(customerId: string): Promise<TouchRecord[]>;
  scan(): AsyncIterable<TouchRecord>;
  isSuppressed(channel: Channel, address: string): Promise<string | undefined>;
  suppress(channel: Channel, address: string, reason: string): Promise<void>;
}

/** Thrown by a provider adapter when the provider says slow down. */
export class ThrottledError extends Error {
  override name = 'ThrottledError';
}

export interface Providers {
  /** SNS keeps its own opt-out list (replies of STOP): checked before every SMS, and mirrored into ours. */
  smsOptedOut?(phone: string): Promise<boolean>;
  sendSms(to: string, text: string): Promise<{ messageId: string }>;
  sendEmail(to: string, from: string, msg: { subject: string; html: string; text: string }): Promise<{ messageId: string }>;
}

/** Where touch keys wait until their time (SQS on AWS, an in-process queue locally). */
export interface TouchQueue {
  enqueue(keys: { key: string; notBefore: string }[]): Promise<void>;
}
