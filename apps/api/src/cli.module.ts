import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { AuthModule } from './auth/auth.module';
import { IncludesModule } from './includes/includes.module';
import { MetricsModule } from './metrics/metrics.module';

// What the command line needs: the database (migrated) and the tenants, agents and keys (whose
// module brings the Desk rate-limit guard, which counts its refusals into the metrics, and its
// controllers' resource interceptor, which side-loads through the registry).
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return { module: CliModule, imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(), AuthModule, IncludesModule, MetricsModule] };
  }
}
