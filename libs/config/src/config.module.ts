import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

// The entry point loads and validates the environment once, then hands the result in here.
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
