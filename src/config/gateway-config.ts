import { dirname, resolve } from 'node:path'
import { Ajv, type SchemaObject } from 'ajv'
import type { DatabaseOptions } from '../store/database.ts'
import { GatewayError } from './gateway-error.ts'
import { formatProblem, readYamlFile } from './yaml-file.ts'

/** gateway.yaml: process settings. Paths in it resolve relative to the file. */
export interface GatewayFileSettings {
  listen?: { host?: string; port?: number }
  bodyLimit?: string
  database?: { client?: 'sqlite' | 'pg'; filename?: string; url?: string }
  tenants?: string
  connectors?: string
  scim?: { defaultCount?: number; maxResults?: number }
  tls?: { cert: string; key: string }
  trustProxy?: boolean | number | string
  auth?: { tokenCacheSeconds?: number }
  upstream?: { maxRetryWaitSeconds?: number }
  retention?: { eventsDays?: number }
  outbox?: {
    pollMs?: number
    leaseSeconds?: number
    concurrency?: number
    maxAttempts?: number
    periodicSeconds?: number
  }
}

export interface GatewaySettings {
  file: string
  host: string
  port: number
  bodyLimitBytes: number
  database: DatabaseOptions
  tenantsDir: string
  connectorsDir: string
  scim: { defaultCount: number; maxResults: number }
  /** Certificate and key files: the gateway serves HTTPS itself (Entra requires HTTPS). */
  tls?: { certFile: string; keyFile: string }
  /** Express `trust proxy`: behind a reverse proxy, URLs use the public scheme and host. */
  trustProxy: boolean | number | string
  /** How long a resolved gateway token is trusted before the database is asked again. */
  tokenCacheMs: number
  /** Longest wait (Retry-After, rate budget) inside one IdP request before answering 429. */
  upstream: { maxRetryWaitMs: number }
  /** How long the provisioning log keeps events. */
  retention: { eventsDays: number }
  /** The outbox worker every gateway process runs. */
  outbox: {
    pollMs: number
    leaseMs: number
    concurrency: number
    maxAttempts: number
    periodicMs: number
  }
}

// A plain schema object: ajv's typed schemas cannot express `trustProxy`'s union.
const schema: SchemaObject = {
  type: 'object',
  // An empty file (or one of comments only) means every default.
  nullable: true,
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        host: { type: 'string', nullable: true },
        port: { type: 'integer', nullable: true, minimum: 0, maximum: 65535 },
      },
    },
    bodyLimit: { type: 'string', nullable: true, pattern: '^[0-9]+(b|kb|mb)$' },
    database: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        client: { type: 'string', nullable: true, enum: ['sqlite', 'pg'] },
        filename: { type: 'string', nullable: true },
        url: { type: 'string', nullable: true },
      },
    },
    tenants: { type: 'string', nullable: true },
    connectors: { type: 'string', nullable: true },
    scim: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        defaultCount: { type: 'integer', nullable: true, minimum: 1 },
        maxResults: { type: 'integer', nullable: true, minimum: 1 },
      },
    },
    tls: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: { cert: { type: 'string' }, key: { type: 'string' } },
    },
    trustProxy: { type: ['boolean', 'integer', 'string'] },
    retention: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: { eventsDays: { type: 'number', minimum: 1, maximum: 3650 } },
    },
    outbox: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        pollMs: { type: 'integer', minimum: 10, maximum: 60000 },
        leaseSeconds: { type: 'number', minimum: 1, maximum: 3600 },
        concurrency: { type: 'integer', minimum: 1, maximum: 64 },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
        periodicSeconds: { type: 'number', minimum: 1, maximum: 86400 },
      },
    },
    upstream: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: { maxRetryWaitSeconds: { type: 'number', minimum: 0, maximum: 60 } },
    },
    auth: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        // Revocation must reach every process within 5 seconds.
        tokenCacheSeconds: { type: 'number', nullable: true, minimum: 0, maximum: 5 },
      },
    },
  },
}

const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile<GatewayFileSettings>(
  schema,
)

function toBytes(limit: string): number {
  const match = /^([0-9]+)(b|kb|mb)$/.exec(limit)
  const units = { b: 1, kb: 1024, mb: 1024 * 1024 }
  return match ? Number(match[1]) * units[match[2] as keyof typeof units] : 1024 * 1024
}

/** Environment overrides the README documents: PORT, GATEWAY_DATA_DIR, DATABASE_URL. */
export interface GatewayEnvironment {
  PORT?: string | undefined
  GATEWAY_DATA_DIR?: string | undefined
  DATABASE_URL?: string | undefined
}

export async function loadGatewaySettings(
  file: string,
  env: GatewayEnvironment,
): Promise<GatewaySettings> {
  const path = resolve(file)
  const result = await readYamlFile(path, validate)
  if (!result.ok) {
    throw new GatewayError('ERR_CONFIG_INVALID', result.problems.map(formatProblem).join('\n'))
  }
  const s = result.value ?? {}
  const base = dirname(path)
  // A variable set to the empty string (`PORT=` in an env file) counts as unset.
  const fromEnv = (value: string | undefined) => (value === '' ? undefined : value)
  const dataDir = resolve(fromEnv(env.GATEWAY_DATA_DIR) ?? resolve(base, 'data'))
  const portText = fromEnv(env.PORT)
  // Digits only: Number() would take ' 80', '1e3' and '0x50'.
  const port =
    portText === undefined
      ? (s.listen?.port ?? 8080)
      : /^[0-9]{1,5}$/.test(portText)
        ? Number(portText)
        : NaN
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new GatewayError('ERR_CONFIG_INVALID', `PORT must be a port number, not ${env.PORT}`)
  }
  const url = fromEnv(env.DATABASE_URL) ?? s.database?.url
  const usePg = s.database?.client === 'pg' || fromEnv(env.DATABASE_URL) !== undefined
  if (usePg && !url) {
    throw new GatewayError(
      'ERR_CONFIG_INVALID',
      `${path}: database.client pg needs database.url or DATABASE_URL`,
    )
  }
  return {
    file: path,
    host: s.listen?.host ?? '0.0.0.0',
    port,
    bodyLimitBytes: toBytes(s.bodyLimit ?? '1mb'),
    database:
      usePg && url
        ? { client: 'pg', connectionString: url }
        : {
            client: 'sqlite',
            filename: resolve(dataDir, s.database?.filename ?? 'gateway.sqlite'),
          },
    tenantsDir: resolve(base, s.tenants ?? 'config'),
    connectorsDir: resolve(base, s.connectors ?? 'connectors'),
    scim: { defaultCount: s.scim?.defaultCount ?? 100, maxResults: s.scim?.maxResults ?? 1000 },
    ...(s.tls
      ? { tls: { certFile: resolve(base, s.tls.cert), keyFile: resolve(base, s.tls.key) } }
      : {}),
    trustProxy: s.trustProxy ?? false,
    tokenCacheMs: (s.auth?.tokenCacheSeconds ?? 2) * 1000,
    upstream: { maxRetryWaitMs: (s.upstream?.maxRetryWaitSeconds ?? 5) * 1000 },
    retention: { eventsDays: s.retention?.eventsDays ?? 30 },
    outbox: {
      pollMs: s.outbox?.pollMs ?? 500,
      leaseMs: (s.outbox?.leaseSeconds ?? 60) * 1000,
      concurrency: s.outbox?.concurrency ?? 4,
      maxAttempts: s.outbox?.maxAttempts ?? 10,
      periodicMs: (s.outbox?.periodicSeconds ?? 60) * 1000,
    },
  }
}
