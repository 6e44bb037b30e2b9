import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { CheckIfPhoneNumberIsOptedOutCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ThrottledError, type Providers } from '../touches/ports.ts';

function throttled(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return /Throttl|TooManyRequests|RateExceeded|SlowDown/i.test(name) || status === 429;
}

/**
 * Neither SendEmail nor Publish is idempotent: after a 5xx or a timeout the provider may have accepted the message,
 * and the SDK's own retry would send it a second time. These two calls therefore go out once (the client's retry
 * middleware is replaced, for this command only, by a pass-through); throttling, which is a certain refusal, is
 * retried by the sender's backoff (lib/touches/send.ts), and anything else is an unknown outcome, logged, not resent.
 */
function withoutSdkRetry<C extends { middlewareStack: { add(mw: unknown, opts: Record<string, unknown>): void } }>(command: C): C {
  command.middlewareStack.add((next: (a: unknown) => unknown) => (args: unknown) => next(args), {
    name: 'retryMiddleware',
    tags: ['RETRY'],
    step: 'finalizeRequest',
    priority: 'high',
    override: true,
  });
  return command;
}

/** SES (email) and SNS (SMS) behind the touch sender's port; throttling surfaces as ThrottledError. */
export class AwsProviders implements Providers {
  private readonly ses: SESClient;
  private readonly sns: SNSClient;

  private readonly configurationSet: string | undefined;

  constructor(opts: { ses: SESClient; sns: SNSClient; configurationSet?: string | undefined }) {
    this.ses = opts.ses;
    this.sns = opts.sns;
    this.configurationSet = opts.configurationSet;
  }

  async smsOptedOut(phone: string): Promise<boolean> {
    const r = await this.sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }));
    return r.isOptedOut === true;
  }

  async sendSms(to: string, text: string) {
    try {
      const r = await this.sns.send(
        withoutSdkRetry(
          new PublishCommand({
            PhoneNumber: to,
            Message: text,
            MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Promotional' } },
          }),
        ),
      );
      return { messageId: r.MessageId ?? 'unknown' };
    } catch (e) {
      if (throttled(e)) throw new ThrottledError((e as Error).message);
      throw e;
    }
  }

  async sendEmail(to: string, from: string, msg: { subject: string; html: string; text: string }) {
    try {
      const r = await this.ses.send(
        withoutSdkRetry(
          new SendEmailCommand({
            Source: from,
            ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
            Destination: { ToAddresses: [to] },
            Message: {
              Subject: { Data: msg.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: msg.html, Charset: 'UTF-8' }, Text: { Data: msg.text, Charset: 'UTF-8' } },
            },
          }),
        ),
      );
      return { messageId: r.MessageId ?? 'unknown' };
    } catch (e) {
      if (throttled(e)) throw new ThrottledError((e as Error).message);
      throw e;
    }
  }
}
