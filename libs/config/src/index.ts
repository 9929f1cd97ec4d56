export { AppConfig, InvalidConfigError, LOG_LEVELS, loadAppConfig, trustedProxy } from './app-config';
export type { LogLevel } from './app-config';
export { ConfigModule } from './config.module';
