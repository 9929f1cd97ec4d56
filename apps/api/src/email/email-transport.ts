import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { createTransport, Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';

// An SMTP conversation that stalls is given up after this long (and retried later).
const SMTP_TIMEOUT_MS = 30_000;

// The SMTP server mail goes out through (SMTP_URL); null when email is off (EmailDispatcher says
// so once at start). The URL's credentials are never logged.
@Injectable()
export class EmailTransport implements OnApplicationShutdown {
  readonly transporter: Transporter | null;
  private readonly deadlineMs: number;

  constructor(config: AppConfig) {
    this.deadlineMs = config.EMAIL_SEND_TIMEOUT_MS;
    this.transporter = config.SMTP_URL
      ? createTransport({ url: config.SMTP_URL, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS })
      : null;
  }

  // Sent when the customer (To) was accepted: a server that accepts a copy (Cc) but refuses the
  // customer answers the send with the customer's refusal, as if the customer were alone.
  // Every send ends within EMAIL_SEND_TIMEOUT_MS (the timeouts above only bound each wait): on
  // expiry the connection is closed and the send fails with no SMTP code, so it is retried.
  async send(mail: Mail.Options): Promise<void> {
    if (!this.transporter) throw new Error('email is off (SMTP_URL is not set)');
    const signal = AbortSignal.timeout(this.deadlineMs);
    const info = (await this.transporter.sendMail({ ...mail, signal } as Mail.Options)) as { rejectedErrors?: RecipientError[] };
    const refusal = refusalOf(info.rejectedErrors ?? [], typeof mail.to === 'string' ? mail.to : null);
    if (refusal) throw refusal;
  }

  onApplicationShutdown(): void {
    this.transporter?.close();
  }
}

interface RecipientError extends Error {
  recipient?: string;
  responseCode?: number;
}

function refusalOf(refused: RecipientError[], to: string | null): RecipientError | undefined {
  const customer = to?.trim().toLowerCase();
  return customer ? refused.find((error) => error.recipient?.trim().toLowerCase() === customer) : undefined;
}
