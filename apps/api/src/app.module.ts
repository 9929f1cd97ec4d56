import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { HttpErrorFilter, IdempotencyInterceptor, IdempotencyKeysPurge } from '@app/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuthModule } from './auth/auth.module';
import { ContactsModule } from './contacts/contacts.module';
import { ConversionModule } from './conversion/conversion.module';
import { ConversationsModule } from './conversations/conversations.module';
import { FilesModule } from './files/files.module';
import { HealthModule } from './health/health.module';
import { HighLevelModule } from './highlevel/highlevel.module';
import { IncludesModule } from './includes/includes.module';
import { SideloadsModule } from './includes/sideloads.module';
import { MetricsModule } from './metrics/metrics.module';
import { ChannelAuthModule } from './channel-auth/channel-auth.module';
import { LiveModule } from './live/live.module';
import { TicketSettingsModule } from './tickets/settings/ticket-settings.module';
import { TicketsModule } from './tickets/tickets.module';
import { PusherWebhooksModule } from './pusher-webhooks/pusher-webhooks.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { EmailModule } from './email/email.module';
import { loggerParams } from './logging';

@Module({})
export class AppModule {
  // `config` is the validated environment, with DATABASE_URL resolved (see main.ts).
  static register(config: AppConfig, logStream?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config, logStream)),
        DatabaseModule.forRoot(),
        // The periodic jobs (@Cron): the service's processes only, never the command line's.
        ScheduleModule.forRoot(),
        MetricsModule,
        LiveModule,
        ChannelAuthModule,
        AuthModule,
        ContactsModule,
        SideloadsModule,
        IncludesModule,
        ConversationsModule,
        FilesModule,
        HealthModule,
        TicketSettingsModule,
        TicketsModule,
        ConversionModule,
        PusherWebhooksModule,
        HighLevelModule,
        WebhooksModule,
        EmailModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        IdempotencyInterceptor,
        { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
        IdempotencyKeysPurge,
      ],
    };
  }
}
