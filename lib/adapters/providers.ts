import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { CheckIfPhoneNumberIsOptedOutCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ThrottledError, type Providers } from '../touches/ports.ts';

function throttled(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return /Throttl|TooManyRequests|RateExceeded|SlowDown/i.test(name) || status === 429;
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
        new PublishCommand({
          PhoneNumber: to,
          Message: text,
          MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Promotional' } },
        }),
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
        new SendEmailCommand({
          Source: from,
          ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
          Destination: { ToAddresses: [to] },
          Message: {
            Subject: { Data: msg.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: msg.html, Charset: 'UTF-8' }, Text: { Data: msg.text, Charset: 'UTF-8' } },
          },
        }),
      );
      return { messageId: r.MessageId ?? 'unknown' };
    } catch (e) {
      if (throttled(e)) throw new ThrottledError((e as Error).message);
      throw e;
    }
  }
}
