import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { ChannelAuthController } from './channel-auth.controller';
import { ChannelAuthService } from './channel-auth.service';

// Pusher's channel authorisation: a feature over the live layer (LiveModule's Pusher client and channel
// names), which stays free of feature modules so that every feature can publish into it.
@Module({
  imports: [AuthModule, ConversationsModule],
  controllers: [ChannelAuthController],
  providers: [ChannelAuthService],
})
export class ChannelAuthModule {}
