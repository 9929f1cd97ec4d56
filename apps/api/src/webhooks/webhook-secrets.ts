import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SecretBox } from '@app/common';
import { AppConfig } from '@app/config';

// Standard Webhooks' secret format: the prefix, then base64 of the key's bytes.
export const SIGNING_SECRET_PREFIX = 'whsec_';
const SIGNING_SECRET_BYTES = 24;

// Signing secrets: issued here, shown once, stored only sealed under SECRETS_KEY (they must sign
// every delivery, so they cannot be hashed), opened by the sender.
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    this.box = SecretBox.fromConfig(config);
  }

  issue(): { secret: string; sealed: string } {
    const secret = SIGNING_SECRET_PREFIX + randomBytes(SIGNING_SECRET_BYTES).toString('base64');
    return { secret, sealed: this.box.seal(secret) };
  }

  open(sealed: string): string {
    return this.box.open(sealed);
  }
}
