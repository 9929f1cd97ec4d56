import { parseArgs } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '@app/config';
import { isEmail } from 'class-validator';
import { ApiKeysService } from './auth/api-keys.service';
import { TenantsService } from './auth/tenants.service';
import { User } from './auth/user.entity';
import { UsersService } from './auth/users.service';
import { CliModule } from './cli.module';
import { isPhoneRegion } from './contacts/contact-normalization';

export const USAGE = `Usage: npm run cli -- <command> [options]

  bootstrap --tenant <name> --email <email> [--first-name <name>] [--last-name <name>] [--phone-region <XX>]
      Creates a tenant with an admin agent and prints the agent's API key.
  set-phone-region --tenant-id <id> --region <XX|default>
      Sets the region (ISO 3166-1 alpha-2, e.g. GB) national phone numbers of the tenant's
      customers are read in; "default" takes DEFAULT_PHONE_REGION's.
  create-key --email <email> [--tenant-id <id>] [--name <label>]
      Issues another API key for an agent and prints it.
  list-keys --email <email> [--tenant-id <id>]
      Lists an agent's keys: id, state, created, last used, label (never the keys).
  revoke-key --id <key id>
      Revokes a key; requests with it get 401 from then on.

A new key is printed once, alone on the last line, and only its hash is stored.`;

export class UsageError extends Error {}

export interface CliOutput {
  out(line: string): void;
}

export interface ParsedCommand {
  run(config: AppConfig, output: CliOutput): Promise<void>;
}

// Checks a command line without touching the database: the command to run, or null for help.
// A usage error is thrown here, before any database server is started.
export function parseCommand(argv: string[]): ParsedCommand | null {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') return null;
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`unknown command "${command}"`);
  const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false });
  return {
    async run(config, output) {
      // abortOnError off: a failure to start is thrown to the caller, not a process.exit(1) of Nest's.
      const context = await NestFactory.createApplicationContext(CliModule.register(config), {
        logger: ['error', 'warn'],
        abortOnError: false,
      });
      try {
        await handler(context, values, output);
      } finally {
        await context.close();
      }
    },
  };
}

// Runs one command against the database of `config` (DATABASE_URL must be resolved).
export async function runCommand(argv: string[], config: AppConfig, output: CliOutput): Promise<void> {
  const command = parseCommand(argv);
  if (command) await command.run(config, output);
  else output.out(USAGE);
}

const OPTIONS = {
  tenant: { type: 'string' },
  email: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  'tenant-id': { type: 'string' },
  name: { type: 'string' },
  id: { type: 'string' },
  'phone-region': { type: 'string' },
  region: { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof OPTIONS, string>>;
type Handler = (context: INestApplicationContext, values: Values, output: CliOutput) => Promise<void>;

const COMMANDS: Record<string, Handler> = {
  async bootstrap(context, values, output) {
    const tenantName = required(values, 'tenant').trim();
    if (tenantName.length === 0 || tenantName.length > 200) throw new UsageError('--tenant must be 1 to 200 characters');
    const email = emailOption(values);
    const defaultPhoneRegion = values['phone-region'] === undefined ? null : phoneRegionOption(values, 'phone-region');
    const { tenant, admin, key } = await context.get(TenantsService).bootstrap({
      tenantName,
      email,
      firstName: values['first-name'],
      lastName: values['last-name'],
      defaultPhoneRegion,
    });
    output.out(`tenant ${tenant.id} "${tenant.name}" created (locationId ${tenant.locationId}${defaultPhoneRegion ? `, phone region ${defaultPhoneRegion}` : ''})`);
    output.out(`admin agent ${admin.id} <${admin.email}>`);
    output.out(`API key ${key.apiKey.id} (shown once; store it now):`);
    output.out(key.plaintext);
  },

  async 'create-key'(context, values, output) {
    const user = await agentFor(context, values);
    const key = await context.get(ApiKeysService).issue(user.tenantId, user.id, values.name ?? '', null);
    output.out(`API key ${key.apiKey.id} for agent ${user.id} <${user.email}> of tenant ${user.tenantId} (shown once):`);
    output.out(key.plaintext);
  },

  async 'list-keys'(context, values, output) {
    const user = await agentFor(context, values);
    const keys = await context.get(ApiKeysService).listForUser(user.tenantId, user.id);
    for (const key of keys) {
      const lastUsed = key.lastUsedAt?.toISOString() ?? 'never used';
      output.out(`${key.id}\t${key.state === 'active' ? 'active' : 'revoked'}\t${key.createdAt.toISOString()}\t${lastUsed}\t${key.name}`);
    }
    if (keys.length === 0) output.out('no keys');
  },

  async 'set-phone-region'(context, values, output) {
    const tenantId = positiveInteger(values, 'tenant-id');
    const region = required(values, 'region') === 'default' ? null : phoneRegionOption(values, 'region');
    if (!(await context.get(TenantsService).setDefaultPhoneRegion(tenantId, region))) throw new UsageError(`no tenant ${tenantId}`);
    output.out(`tenant ${tenantId} reads national phone numbers in ${region ?? 'the DEFAULT_PHONE_REGION of the configuration'}`);
  },

  async 'revoke-key'(context, values, output) {
    const id = positiveInteger(values, 'id');
    const apiKeys = context.get(ApiKeysService);
    const key = await apiKeys.findByIdForOperator(id);
    if (!key) throw new UsageError(`no API key ${id}`);
    await apiKeys.revoke(key.tenantId, key.id, null);
    output.out(`API key ${id} revoked`);
  },
};

async function agentFor(context: INestApplicationContext, values: Values): Promise<User> {
  const email = emailOption(values);
  const tenantId = values['tenant-id'] === undefined ? undefined : positiveInteger(values, 'tenant-id');
  const agents = (await context.get(UsersService).findActiveByEmailForOperator(email)).filter(
    (user) => tenantId === undefined || user.tenantId === tenantId,
  );
  if (agents.length === 0) throw new UsageError(`no active agent <${email}>${tenantId ? ` in tenant ${tenantId}` : ''}`);
  if (agents.length > 1) {
    throw new UsageError(`<${email}> is an agent of tenants ${agents.map((a) => a.tenantId).join(', ')}: pass --tenant-id`);
  }
  return agents[0];
}

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function emailOption(values: Values): string {
  const email = required(values, 'email').trim();
  if (!isEmail(email)) throw new UsageError('--email must be a valid email address');
  return email;
}

function phoneRegionOption(values: Values, name: 'phone-region' | 'region'): string {
  const region = required(values, name);
  if (!isPhoneRegion(region)) throw new UsageError(`--${name} must be an ISO 3166-1 alpha-2 region in upper case, such as GB or US`);
  return region;
}

function positiveInteger(values: Values, name: keyof Values): number {
  const text = required(values, name);
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new UsageError(`--${name} must be a whole number`);
  return Number(text);
}
