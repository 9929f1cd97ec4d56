import { Module } from '@nestjs/common';
import { InboundEmailModule } from './inbound/inbound-email.module';

// Email both ways for tickets: out through SMTP (the outbox's email topics) and in through
// `inbound/email.json` (docs/architecture.md, "Email").
@Module({
  imports: [InboundEmailModule],
  controllers: [],
  providers: [],
})
export class EmailModule {}
