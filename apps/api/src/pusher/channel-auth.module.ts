import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { ChannelAuthController } from './channel-auth.controller';
import { ChannelAuthService } from './channel-auth.service';

// Pusher's channel authorisation. Apart from the global PusherModule, which stays free of feature
// modules so that they can use its live updates without an import cycle.
@Module({
  imports: [AuthModule, ConversationsModule],
  controllers: [ChannelAuthController],
  providers: [ChannelAuthService],
})
export class ChannelAuthModule {}
