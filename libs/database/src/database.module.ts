import { DynamicModule, Global, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { Database } from './database';
import { buildDataSourceOptions, isPooled } from './database-options';
import { runMigrationsUnderLock } from './migrate';

// Applies pending migrations before the app starts listening (init precedes listen).
@Injectable()
export class MigrationsOnBoot implements OnModuleInit {
  private readonly logger = new Logger(MigrationsOnBoot.name);

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.MIGRATIONS_RUN) return;
    const applied = await this.migrate();
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }

  // The migration lock is a session's: through a transaction pooler it would be taken on one server
  // connection and released on another (so held for ever), hence a direct connection then.
  private async migrate(): Promise<string[]> {
    if (!isPooled(this.config)) return runMigrationsUnderLock(this.dataSource);
    const direct = new DataSource(
      buildDataSourceOptions({ url: this.config.DATABASE_DIRECT_URL!, poolSize: 2, applicationName: 'helpdesk-migrations' }),
    );
    await direct.initialize();
    try {
      return await runMigrationsUnderLock(direct);
    } finally {
      await direct.destroy();
    }
  }
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            if (!config.DATABASE_URL) throw new Error('DATABASE_URL must be resolved before the app starts');
            return {
              ...buildDataSourceOptions({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, pooled: isPooled(config) }),
              autoLoadEntities: true,
              retryAttempts: 0,
            };
          },
        }),
      ],
      providers: [MigrationsOnBoot, Database],
      exports: [Database],
    };
  }
}
