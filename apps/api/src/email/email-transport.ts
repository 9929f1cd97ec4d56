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

  constructor(config: AppConfig) {
    this.transporter = config.SMTP_URL
      ? createTransport({ url: config.SMTP_URL, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS })
      : null;
  }

  async send(mail: Mail.Options): Promise<void> {
    if (!this.transporter) throw new Error('email is off (SMTP_URL is not set)');
    await this.transporter.sendMail(mail);
  }

  onApplicationShutdown(): void {
    this.transporter?.close();
  }
}
