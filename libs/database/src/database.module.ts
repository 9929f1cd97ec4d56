import { DynamicModule, Global, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { Database } from './database';
import { buildDataSourceOptions } from './database-options';
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
    const applied = await runMigrationsUnderLock(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
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
              ...buildDataSourceOptions({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }),
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
