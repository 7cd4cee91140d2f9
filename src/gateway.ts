import { readFile } from 'node:fs/promises'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { Express } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import { createConfigManager, type ConfigManager } from './config/config-manager.ts'
import type { GatewaySettings } from './config/gateway-config.ts'
import type { Configuration } from './config/load-configuration.ts'
import { createConnectionService } from './connectors/connection-service.ts'
import { createUpstreamRegistry, type UpstreamRegistry } from './connectors/upstream-registry.ts'
import { createResourceValidator } from './scim/validate.ts'
import { breakerStates, createMetrics } from './http/metrics.ts'
import { createApp } from './server.ts'
import { openDatabase } from './store/database.ts'
import { createEventStore, type EventStore } from './store/events.ts'
import { createGroupMemberStore } from './store/group-members.ts'
import { createLinkClaims } from './store/link-claims.ts'
import { createLinkStore } from './store/links.ts'
import { createProductStates } from './store/product-states.ts'
import { createOutboxStore, type OutboxStore } from './store/outbox.ts'
import { openReadConnection } from './store/read-runner.ts'
import { createOutboxSchedule } from './jobs/outbox-schedule.ts'
import { createOutboxWorker, type OutboxWorker } from './jobs/outbox-worker.ts'
import { createTokenStore, type TokenStore } from './store/tokens.ts'
import { createConnectionResolver, type ConnectionResolver } from './tenancy/connections.ts'
import { createJwksCache, createJwtVerifier, type JwtVerifier } from './tenancy/jwt-auth.ts'
import { createRateLimiter } from './tenancy/rate-limit.ts'
import { createTokenAuthenticator } from './tenancy/token-auth.ts'

/** What one configuration generation serves with. */
interface Serving {
  resolveConnection: ConnectionResolver
  verifyJwt: JwtVerifier
}

export interface Gateway {
  app: Express
  db: Knex
  tokens: TokenStore
  events: EventStore
  upstream: UpstreamRegistry
  outbox: OutboxStore
  worker: OutboxWorker
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
  /** Run the outbox worker in this process (default). */
  worker?: boolean
}

/** Opens the database, loads and validates the tenants, and wires the app. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { settings, log } = options
  const now = options.now ?? (() => new Date())
  const db = await openDatabase(settings.database)
  const reader = openReadConnection(settings.database, db)
  const links = createLinkStore(db, reader.read, reader.readSql)
  const members = createGroupMemberStore(db, reader.read, reader.readSql)
  const tokens = createTokenStore(db)
  const claims = createLinkClaims(db, reader.read)
  const events = createEventStore(db)
  const validator = createResourceValidator()
  const jwks = createJwksCache()
  const upstream = createUpstreamRegistry({
    now: () => now().getTime(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    maxRetryWaitMs: settings.upstream.maxRetryWaitMs,
  })
  const outbox = createOutboxStore(db)
  const productStates = createProductStates(db)
  const deps = {
    db,
    outbox,
    productStates,
    links,
    claims,
    members,
    validator,
    upstream,
    now,
    // A create whose answer was lost: reconcile its claim once it could no longer be in flight.
    onUnknownOutcome: (
      connectionKey: string,
      id: string,
      claimTtlMs: number,
      requestId: string,
    ) => {
      const at = now()
      void outbox
        .enqueue(
          {
            connectionKey,
            kind: 'reconcile-claim',
            resource: `User:${id}`,
            payload: { id },
            // The provisioning log ties the job to the request whose answer was lost.
            requestId,
            notBefore: new Date(at.getTime() + claimTtlMs).toISOString(),
          },
          at.toISOString(),
        )
        .catch((err: unknown) => log.warn({ err }, 'could not queue a claim reconciliation'))
    },
  }
  let config: ConfigManager<Serving>
  try {
    config = await createConfigManager<Serving>({
      tenantsDir: settings.tenantsDir,
      connectorsDir: settings.connectorsDir,
      env: options.env,
      log,
      now,
      build: ({ tenants, profiles }: Configuration) => ({
        resolveConnection: createConnectionResolver(tenants, (connection, key) =>
          createConnectionService(key, connection, profiles.get(connection.connector), deps),
        ),
        verifyJwt: createJwtVerifier(tenants, jwks, now),
      }),
    })
  } catch (err) {
    await db.destroy()
    throw err
  }
  const schedule = createOutboxSchedule({
    outbox,
    claims,
    productStates,
    periodicMs: settings.outbox.periodicMs,
    configuration: () => config.current(),
    now,
  })
  const worker = createOutboxWorker({
    store: outbox,
    jobsFor: (key) => {
      const [tenant = '', connection = ''] = key.split('/')
      return config.current().built.resolveConnection(tenant, connection)?.jobs
    },
    events,
    log,
    now,
    pollMs: settings.outbox.pollMs,
    leaseMs: settings.outbox.leaseMs,
    concurrency: settings.outbox.concurrency,
    maxAttempts: settings.outbox.maxAttempts,
    periodicMs: settings.outbox.periodicMs,
    periodic: async () => {
      await schedule()
      // Bounded retention of the provisioning log.
      await events.prune(
        new Date(now().getTime() - settings.retention.eventsDays * 86_400_000).toISOString(),
      )
    },
  })
  if (options.worker !== false) worker.start()
  const metrics = createMetrics({
    quarantined: breakerStates(
      () => config.current(),
      (key) => upstream.health(key),
    ),
    backlog: () => outbox.backlog(),
  })
  const app = createApp({
    metrics,
    readiness: {
      ping: () => db.raw('select 1').then(() => undefined),
      configLoaded: () => config.current().tenants.size > 0,
    },
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
    events,
    now,
    admin: {
      token: options.adminToken,
      tokens,
      config: () => config.current(),
      lastReload: () => config.lastReload(),
      reload: (reason) => config.reload(reason),
      upstream,
      outbox,
      productStates,
      events,
      claims,
      now,
    },
    log,
  })
  return {
    app,
    db,
    tokens,
    events,
    upstream,
    outbox,
    worker,
    config,
    close: async () => {
      await worker.stop()
      config.close()
      upstream.close()
      await events.close()
      reader.close()
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
