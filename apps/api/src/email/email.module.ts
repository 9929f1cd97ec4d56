import { Module } from '@nestjs/common';

// Email both ways for tickets: out through SMTP (the outbox's email topics) and in through
// `inbound/email.json` (docs/architecture.md, "Email").
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class EmailModule {}
