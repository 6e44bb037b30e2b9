import type { Providers } from '../touches/ports.ts';

/**
 * The touch providers (SES, SNS) with every call that throws reported to `onError` before the error goes on
 * to the sender, which decides what it means (retry on throttling, `failed` otherwise). Throttling, 5xx and
 * timeouts all count: the ProviderErrors metric is how often the provider said no.
 */
export function reportProviderErrors(p: Providers, onError: (call: 'sendSms' | 'sendEmail' | 'smsOptedOut', error: unknown) => void): Providers {
  const watch =
    <A extends unknown[], R>(call: 'sendSms' | 'sendEmail' | 'smsOptedOut', f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await f(...a);
      } catch (e) {
        onError(call, e);
        throw e;
      }
    };
  const smsOptedOut = p.smsOptedOut;
  return {
    sendSms: watch('sendSms', (to: string, text: string) => p.sendSms(to, text)),
    sendEmail: watch('sendEmail', (to: string, from: string, msg: Parameters<Providers['sendEmail']>[2]) => p.sendEmail(to, from, msg)),
    ...(smsOptedOut ? { smsOptedOut: watch('smsOptedOut', (phone: string) => smsOptedOut.call(p, phone)) } : {}),
  };
}
