import { readFile } from 'node:fs/promises'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { Express } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import { createConfigManager, type ConfigManager } from './config/config-manager.ts'
import type { GatewaySettings } from './config/gateway-config.ts'
import type { TenantConfig } from './config/tenant-config.ts'
import { createDirectoryService } from './connectors/directory.ts'
import { createResourceValidator } from './scim/validate.ts'
import { createApp } from './server.ts'
import { openDatabase } from './store/database.ts'
import { createGroupMemberStore } from './store/group-members.ts'
import { createLinkStore } from './store/links.ts'
import { createTokenStore, type TokenStore } from './store/tokens.ts'
import { createConnectionResolver, type ConnectionResolver } from './tenancy/connections.ts'
import { createJwksCache, createJwtVerifier, type JwtVerifier } from './tenancy/jwt-auth.ts'
import { createRateLimiter } from './tenancy/rate-limit.ts'
import { createTokenAuthenticator } from './tenancy/token-auth.ts'

/** Connectors a connection may name. Product connectors arrive as profiles in `connectors/`. */
export const BUILT_IN_CONNECTORS = ['directory'] as const

/** What one configuration generation serves with. */
interface Serving {
  resolveConnection: ConnectionResolver
  verifyJwt: JwtVerifier
}

export interface Gateway {
  app: Express
  db: Knex
  tokens: TokenStore
  config: ConfigManager<Serving>
  close(): Promise<void>
}

export interface GatewayOptions {
  settings: GatewaySettings
  log: Logger
  /** The admin API credential (`GATEWAY_ADMIN_TOKEN`). */
  adminToken: string
  env: Readonly<Record<string, string | undefined>>
  now?: () => Date
}

/** Opens the database, loads and validates the tenants, and wires the app. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { settings, log } = options
  const now = options.now ?? (() => new Date())
  const db = await openDatabase(settings.database)
  const links = createLinkStore(db)
  const members = createGroupMemberStore(db)
  const tokens = createTokenStore(db)
  const validator = createResourceValidator()
  const jwks = createJwksCache()
  let config: ConfigManager<Serving>
  try {
    config = await createConfigManager<Serving>({
      tenantsDir: settings.tenantsDir,
      env: options.env,
      connectors: BUILT_IN_CONNECTORS,
      log,
      now,
      build: (tenants: ReadonlyMap<string, TenantConfig>) => ({
        resolveConnection: createConnectionResolver(tenants, (_connection, key) =>
          createDirectoryService({ connectionKey: key, db, links, members, validator, now }),
        ),
        verifyJwt: createJwtVerifier(tenants, jwks, now),
      }),
    })
  } catch (err) {
    await db.destroy()
    throw err
  }
  const app = createApp({
    bodyLimitBytes: settings.bodyLimitBytes,
    scim: settings.scim,
    trustProxy: settings.trustProxy,
    authenticateToken: createTokenAuthenticator({
      store: tokens,
      now,
      cacheMs: settings.tokenCacheMs,
    }),
    // Every request reads the generation in force, so a reload takes effect at once.
    resolveConnection: (tenant, connection) =>
      config.current().built.resolveConnection(tenant, connection),
    verifyJwt: (tenant, token) => config.current().built.verifyJwt(tenant, token),
    rateLimiter: createRateLimiter(() => now().getTime()),
    admin: {
      token: options.adminToken,
      tokens,
      config: () => config.current(),
      lastReload: () => config.lastReload(),
      reload: (reason) => config.reload(reason),
      now,
    },
    log,
  })
  return {
    app,
    db,
    tokens,
    config,
    close: async () => {
      config.close()
      await db.destroy()
    },
  }
}

/** Listens (HTTPS when `tls` is set) and resolves once the port is bound; port 0 picks one. */
export async function listen(
  app: Express,
  settings: Pick<GatewaySettings, 'port' | 'host' | 'tls'>,
): Promise<Server> {
  const server: Server = settings.tls
    ? createHttpsServer(
        { cert: await readFile(settings.tls.certFile), key: await readFile(settings.tls.keyFile) },
        app,
      )
    : createHttpServer(app)
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
