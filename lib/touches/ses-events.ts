/** Addresses an SES notification says must not be mailed again: permanent bounces and complaints. */
export function suppressionsFromSes(message: unknown): { address: string; reason: string }[] {
  const m = message as {
    notificationType?: string;
    eventType?: string;
    bounce?: { bounceType?: string; bouncedRecipients?: { emailAddress?: string }[] };
    complaint?: { complainedRecipients?: { emailAddress?: string }[] };
  };
  const type = m.notificationType ?? m.eventType;
  if (type === 'Bounce' && m.bounce?.bounceType === 'Permanent')
    return (m.bounce.bouncedRecipients ?? []).flatMap((r) => (r.emailAddress ? [{ address: r.emailAddress, reason: 'permanent bounce (SES)' }] : []));
  if (type === 'Complaint')
    return (m.complaint?.complainedRecipients ?? []).flatMap((r) => (r.emailAddress ? [{ address: r.emailAddress, reason: 'complaint (SES)' }] : []));
  return [];
}
