import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { AuthModule } from './auth/auth.module';
import { SideloadsModule } from './includes/sideloads.module';
import { MetricsModule } from './metrics/metrics.module';

// What the command line needs: the database (migrated) and the tenants, agents and keys (whose
// module brings the Desk rate-limit guard, which counts its refusals into the metrics, and its
// controllers' resource interceptor, which needs the side-load registry).
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return { module: CliModule, imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(), SideloadsModule, AuthModule, MetricsModule] };
  }
}
