import { BlockList, isIP } from 'node:net';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  validateSync,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { getCountries } from 'libphonenumber-js';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
};

const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

// An absolute http(s) URL without credentials, query or fragment.
@ValidatorConstraint({ name: 'publicBaseUrl' })
class PublicBaseUrl implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/.test(value)) return false;
    return URL.canParse(value);
  }

  defaultMessage(): string {
    return 'PUBLIC_BASE_URL must be an http(s) URL such as https://desk.example.com, without credentials, query or fragment';
  }
}

@ValidatorConstraint({ name: 'trustProxy' })
class TrustProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (value === 'true' || value === 'false') return true;
    return typeof value === 'string' && value.split(',').every((entry) => proxyEntry(entry.trim()) !== null);
  }

  defaultMessage(): string {
    return 'TRUST_PROXY must be true, false, or IP addresses and CIDR ranges separated by commas';
  }
}

// An address (10.0.0.1, ::1) or CIDR range (10.0.0.0/8, fd00::/8) of TRUST_PROXY; null if neither.
function proxyEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address, prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return null;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > bits) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FILE_STORAGE_DRIVERS = ['local'] as const;
export type FileStorageDriver = (typeof FILE_STORAGE_DRIVERS)[number];

// The whole environment of the service, validated once at boot. Read it through this class only.
export class AppConfig {
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  // Loopback by default; containers set 0.0.0.0.
  @IsString()
  HOST = '127.0.0.1';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBoolean)
  @IsBoolean()
  MIGRATIONS_RUN = true;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  // The embedded PostgreSQL used when DATABASE_URL is not set.
  @IsString()
  EMBEDDED_PG_DIR = '.data/postgres';

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSHER_APP_ID?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSHER_KEY?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSHER_SECRET?: string = undefined;

  // Further webhook key:secret pairs accepted during a rotation, comma-separated.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[^:,\s]+:[^:,\s]+(,[^:,\s]+:[^:,\s]+)*$/, {
    message: 'PUSHER_ADDITIONAL_CREDENTIALS must be key:secret pairs separated by commas',
  })
  PUSHER_ADDITIONAL_CREDENTIALS?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSHER_CLUSTER?: string = undefined;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PUSHER_HOST?: string = undefined;

  @Transform(toInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  PUSHER_PORT?: number = undefined;

  @Transform(toBoolean)
  @IsBoolean()
  PUSHER_USE_TLS = true;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  PUSHER_WEBHOOK_MAX_AGE_SECONDS = 600;

  // How long stored webhook events are kept (at least the retry window plus an hour).
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  PUSHER_WEBHOOK_RETENTION_HOURS = 24;

  // A webhook batch is stored in transactions of at most this many events each, in its order (Pusher
  // batches up to about 20); a batch of any size within HTTP_BODY_MAX_BYTES is accepted.
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  PUSHER_WEBHOOK_EVENTS_PER_TRANSACTION = 100;

  // How often the outbox dispatcher looks for live updates to send to Pusher.
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(60_000)
  PUSHER_DISPATCH_INTERVAL_MS = 250;

  // Sends of one live update before it is given up (with backoff between them).
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  PUSHER_DISPATCH_MAX_ATTEMPTS = 10;

  // How long one request to Pusher's REST API may take.
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  PUSHER_TIMEOUT_MS = 5_000;

  // The key that seals secrets the service must use rather than only compare (webhook signing
  // secrets): any string of 32 characters or more, the same for every process. Unset, a random
  // key is created once in SECRETS_KEY_FILE and read from there.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'SECRETS_KEY must be at least 32 characters' })
  SECRETS_KEY?: string = undefined;

  @IsString()
  @IsNotEmpty()
  SECRETS_KEY_FILE = '.data/secrets.key';

  // Webhook receivers at these hosts may resolve to loopback, private, link-local or multicast
  // addresses (host names, addresses or CIDR ranges, comma-separated); every other is refused.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WEBHOOK_ALLOWED_HOSTS?: string = undefined;

  // Whether webhook URLs may be plain http (https only by default).
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  // How long one webhook delivery may take, connection to last byte of the answer.
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  // How often the webhook dispatcher looks for deliveries due.
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(60_000)
  WEBHOOK_DISPATCH_INTERVAL_MS = 250;

  // The SMTP server email goes out through (smtp:// or smtps://, credentials in the URL); unset,
  // email is off: queued emails stay queued, and the service says so once at start.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string = undefined;

  // How long one email's send may take in all, below the dispatcher's send budget (3 minutes):
  // past it the connection is closed and the email retried later.
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(150_000)
  EMAIL_SEND_TIMEOUT_MS = 120_000;

  // How often the email dispatcher looks for emails due.
  @Transform(toInteger)
  @IsInt()
  @Min(10)
  @Max(60_000)
  EMAIL_DISPATCH_INTERVAL_MS = 1_000;

  // How long a request waits for another one holding its Idempotency-Key before a 409.
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(60_000)
  IDEMPOTENCY_WAIT_MS = 10_000;

  // HighLevel's limits per tenant: requests per burst interval, the interval, and requests per UTC
  // day (100 per 10 s and 200,000 a day, as HighLevel's own API).
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HL_RATE_LIMIT_MAX = 100;

  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HL_RATE_LIMIT_INTERVAL_MS = 10_000;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  HL_RATE_LIMIT_DAILY = 200_000;

  // The largest JSON or form body accepted, in bytes (1 MB by default); above it a 413. Uploads
  // have their own limit, FILES_MAX_BYTES.
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 ** 2)
  HTTP_BODY_MAX_BYTES = 1_048_576;

  // The largest attachment accepted, in bytes (25 MB by default; at most 5 GiB).
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(5 * 1024 ** 3)
  FILES_MAX_BYTES = 26_214_400;

  @IsIn(FILE_STORAGE_DRIVERS)
  FILE_STORAGE_DRIVER: FileStorageDriver = 'local';

  // The local driver's root: attachments by tenant, and upload temp files under it.
  @IsString()
  @IsNotEmpty()
  FILES_DIR = '.data/files';

  // Redis shared by every process for the rate limits' counts, so a limit holds across processes;
  // without it each process counts in its own memory.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string = undefined;

  // Starts every key this service writes to Redis, so deployments (or test runs) can share one.
  @Matches(/^[A-Za-z0-9:._-]{0,64}$/, { message: 'REDIS_KEY_PREFIX must be up to 64 letters, digits and : . _ -' })
  REDIS_KEY_PREFIX = 'helpdesk:';

  // The Desk dialect's requests per API key per window: 120 a minute, as Teamwork Desk documents.
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  DESK_RATE_LIMIT_PER_KEY = 120;

  // The Desk dialect's requests per tenant per window, all its keys together: ten keys at full speed.
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  DESK_RATE_LIMIT_PER_TENANT = 1200;

  // The Desk limits' fixed window, shared by both so a request refused by one is never charged to
  // a later window of the other.
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  DESK_RATE_LIMIT_WINDOW_MS = 60_000;

  // The bearer token Prometheus sends to GET /metrics; unset, the endpoint does not exist.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string = undefined;

  // The region (ISO 3166-1 alpha-2, e.g. GB) national-format phone numbers are read in for tenants
  // without their own (tenants.default_phone_region); unset, such tenants take international
  // numbers (+…) only.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(getCountries(), { message: 'DEFAULT_PHONE_REGION must be an ISO 3166-1 alpha-2 region in upper case, such as GB or US' })
  DEFAULT_PHONE_REGION?: string = undefined;

  // The dashboards' origins allowed cross-origin calls (exact, comma-separated); none: no CORS headers.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s,/]+(,\s*https?:\/\/[^\s,/]+)*$/, {
    message: 'CORS_ORIGINS must be origins like https://desk.example.com, separated by commas',
  })
  CORS_ORIGINS?: string = undefined;

  // A Desk `filter`'s deepest $and/$or nesting (the top object is level 1) and most conditions; past
  // either a 400. Real filters stay within three levels and a dozen conditions; these bound the SQL.
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(20)
  FILTER_MAX_DEPTH = 5;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  FILTER_MAX_CLAUSES = 50;

  // Slow clients: the request's headers must arrive within HTTP_HEADERS_TIMEOUT_MS, and the whole
  // request (body too) within HTTP_BODY_TIMEOUT_MS of its first byte, or the connection is closed
  // with a 408. The body's budget is long enough for a 25 MB upload at about 2 Mbit/s.
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  HTTP_BODY_TIMEOUT_MS = 120_000;

  // How long an idle keep-alive connection stays open: longer than a load balancer's own idle
  // timeout (60 s on AWS ALB), so the balancer never sends a request on a connection being closed.
  @Transform(toInteger)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  // A request's work (from its whole body received to its answer) past this is answered 503 and its
  // transaction rolled back; load balancers usually give up at 30-60 s.
  @Transform(toInteger)
  @IsInt()
  @Min(50)
  @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS = 15_000;

  // The origin links this service writes (HighLevel's attachment URLs) start with, as clients reach
  // it: https://desk.example.com, or with a path prefix a proxy adds. Unset: the request's origin
  // as a trusted proxy (TRUST_PROXY) forwarded it, else http://127.0.0.1:{PORT}; never a Host
  // header from anyone else.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Validate(PublicBaseUrl)
  PUBLIC_BASE_URL?: string = undefined;

  // The proxies in front of the service whose X-Forwarded-For/-Host/-Proto are believed: `false`
  // (none: the default), `true` (whatever connects), or their addresses or CIDR ranges, comma-separated.
  @Validate(TrustProxyList)
  TRUST_PROXY = 'false';

  // A direct PostgreSQL URL for what needs a session (the migration lock), when DATABASE_URL goes
  // through a transaction pooler such as PgBouncer; unset, DATABASE_URL is used for everything.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_DIRECT_URL must be a postgres:// URL' })
  DATABASE_DIRECT_URL?: string = undefined;
}

// TRUST_PROXY as a test of the address a connection comes from (Fastify's trustProxy takes it too).
// Built once per configuration: links ask on every request.
const trustTests = new WeakMap<object, (address: string | undefined) => boolean>();

export function trustedProxy(config: Pick<AppConfig, 'TRUST_PROXY'>): (address: string | undefined) => boolean {
  let test = trustTests.get(config);
  if (!test) trustTests.set(config, (test = trustTestFor(config.TRUST_PROXY)));
  return test;
}

function trustTestFor(setting: string): (address: string | undefined) => boolean {
  if (setting === 'true' || setting === 'false') {
    const trusted = setting === 'true';
    return () => trusted;
  }
  const list = new BlockList();
  for (const entry of setting.split(',')) {
    const { address, prefix, family } = proxyEntry(entry.trim())!;
    list.addSubnet(address, prefix, family);
  }
  return (address) => {
    if (!address) return false;
    // An IPv4 client on a dual-stack socket: ::ffff:10.0.0.1.
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}

export class InvalidConfigError extends Error {}

// Fails fast with every problem listed, one per line.
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Every field has an initialiser (undefined for optional ones), so the keys are the schema.
  const known = Object.keys(new AppConfig());
  const source: Record<string, unknown> = {};
  for (const key of known) {
    if (env[key] !== undefined) source[key] = env[key];
  }
  const config = plainToInstance(AppConfig, source, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map((message) =>
        message.startsWith(error.property) ? message : `${error.property}: ${message}`,
      ),
    );
    throw new InvalidConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
  }
  return config;
}
