import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory from 'knex'
import type { Logger } from 'pino'
import { loadGatewaySettings } from '../../src/config/gateway-config.ts'
import { createGateway, listen, type Gateway } from '../../src/gateway.ts'
import { createLogger } from '../../src/log.ts'
import { issueToken } from '../../src/tenancy/tokens.ts'

const CONNECTORS_DIR = join(import.meta.dirname, '..', '..', 'connectors')

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** `npm run test:pg` sets DB_CLIENT=pg: the same suites then run on PostgreSQL. */
export const usePostgres = process.env.DB_CLIENT === 'pg'

export interface StartedGateway {
  gateway: Gateway
  server: Server
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** `http://127.0.0.1:<port>/scim/v2` */
  scimUrl: string
  dir: string
  /**
   * Environment for a second gateway process on the same database: the same gateway.yaml
   * and SQLite file, or the same PostgreSQL schema.
   */
  childEnv: Record<string, string>
  token(tenant: string, connection: string): Promise<string>
  close(): Promise<void>
}

/** The admin API credential every test gateway uses. */
export const ADMIN_TOKEN = 'test-admin-credential'

export interface StartGatewayOptions {
  /** What `${env:…}` references in tenant files resolve against. */
  env?: Record<string, string>
  /** Tenant files by tenant id (YAML text). Defaults to `demo` and `acme`, each with a directory. */
  tenants?: Record<string, string>
  gatewayYaml?: string
  log?: Logger
}

const directoryTenant = (tenant: string, dialect = 'auto') =>
  `tenant: ${tenant}\ndialect: ${dialect}\nconnections:\n  directory:\n    connector: directory\n`

/** A real gateway on port 0 with its own tenant folder and its own database (SQLite file or PG schema). */
export async function startGateway(options: StartGatewayOptions = {}): Promise<StartedGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'scim-gateway-test-'))
  await mkdir(join(dir, 'config'))
  const tenants = options.tenants ?? {
    demo: directoryTenant('demo'),
    acme: directoryTenant('acme'),
  }
  for (const [name, text] of Object.entries(tenants))
    await writeFile(join(dir, 'config', `${name}.yaml`), text)
  // The shipped connector profiles serve every test gateway unless its gateway.yaml says otherwise.
  const gatewayYaml = options.gatewayYaml ?? 'listen: { host: 127.0.0.1, port: 0 }\n'
  await writeFile(
    join(dir, 'gateway.yaml'),
    /^connectors:/m.test(gatewayYaml)
      ? gatewayYaml
      : `${gatewayYaml}connectors: ${CONNECTORS_DIR}\n`,
  )
  const settings = await loadGatewaySettings(join(dir, 'gateway.yaml'), { GATEWAY_DATA_DIR: dir })
  let databaseUrl: string | undefined
  let dropSchema = async () => {}
  if (usePostgres) {
    const schema = `t_${Math.random().toString(36).slice(2, 12)}`
    const admin = knexFactory({ client: 'pg', connection: PG_URL })
    await admin.raw(`CREATE SCHEMA ${schema}`)
    await admin.destroy()
    settings.database = { client: 'pg', connectionString: PG_URL, schema }
    databaseUrl = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
    dropSchema = async () => {
      const cleanup = knexFactory({ client: 'pg', connection: PG_URL })
      await cleanup.raw(`DROP SCHEMA ${schema} CASCADE`)
      await cleanup.destroy()
    }
  }
  const log = options.log ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const gateway = await createGateway({
    settings,
    log,
    adminToken: ADMIN_TOKEN,
    env: options.env ?? {},
  })
  const server = await listen(gateway.app, settings)
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    gateway,
    server,
    origin,
    scimUrl: `${origin}/scim/v2`,
    dir,
    childEnv: {
      GATEWAY_CONFIG: join(dir, 'gateway.yaml'),
      GATEWAY_DATA_DIR: dir,
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    async token(tenant, connection) {
      return (await issueToken(gateway.tokens, { tenant, connection, now: new Date() })).token
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await gateway.close()
      await dropSchema()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export { directoryTenant }
