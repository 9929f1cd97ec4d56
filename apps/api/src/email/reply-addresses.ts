import { Injectable } from '@nestjs/common';
import { SecretBox } from '@app/common';
import { AppConfig } from '@app/config';
import { replyAddress, replyTag, ticketOfReplyAddress } from './email-addresses';

// Reply addresses under the service's own key (derived from SECRETS_KEY's material, so every
// process writes and accepts the same tags).
@Injectable()
export class ReplyAddresses {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = SecretBox.fromConfig(config).derive('email reply address');
  }

  tag(tenantId: number, ticketId: number): string {
    return replyTag(this.key, tenantId, ticketId);
  }

  addressOf(inboxAddress: string, tenantId: number, ticketId: number): string {
    return replyAddress(inboxAddress, ticketId, this.tag(tenantId, ticketId));
  }

  // The tenant's ticket an address names with a valid tag; null otherwise.
  ticketOf(address: string, tenantId: number): number | null {
    return ticketOfReplyAddress(address, (ticketId) => this.tag(tenantId, ticketId));
  }
}
