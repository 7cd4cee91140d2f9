import type { Server } from 'node:http'
import type { Express } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import type { GatewaySettings } from './config/gateway-config.ts'
import { GatewayError } from './config/gateway-error.ts'
import { loadTenants } from './config/tenant-config.ts'
import { formatProblem } from './config/yaml-file.ts'
import { createDirectoryService } from './connectors/directory.ts'
import { createResourceValidator } from './scim/validate.ts'
import { createApp } from './server.ts'
import { openDatabase } from './store/database.ts'
import { createGroupMemberStore } from './store/group-members.ts'
import { createLinkStore } from './store/links.ts'
import { createTokenStore, type TokenStore } from './store/tokens.ts'
import { createConnectionResolver, type ConnectionResolver } from './tenancy/connections.ts'
import { createTokenAuthenticator } from './tenancy/token-auth.ts'

export interface Gateway {
  app: Express
  db: Knex
  tokens: TokenStore
  resolveConnection: ConnectionResolver
  close(): Promise<void>
}

export interface GatewayOptions {
  settings: GatewaySettings
  log: Logger
  now?: () => Date
}

/** Opens the database, loads and validates the tenants, and wires the app. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { settings, log } = options
  const now = options.now ?? (() => new Date())
  const loaded = await loadTenants(settings.tenantsDir)
  if (!loaded.ok) {
    throw new GatewayError('ERR_CONFIG_INVALID', loaded.problems.map(formatProblem).join('\n'))
  }
  const db = await openDatabase(settings.database)
  const links = createLinkStore(db)
  const members = createGroupMemberStore(db)
  const tokens = createTokenStore(db)
  const validator = createResourceValidator()
  const resolveConnection = createConnectionResolver(loaded.tenants, (_tenant, _name, key) =>
    createDirectoryService({ connectionKey: key, db, links, members, validator, now }),
  )
  const app = createApp({
    bodyLimitBytes: settings.bodyLimitBytes,
    scim: settings.scim,
    authenticate: createTokenAuthenticator({ store: tokens, now }),
    resolveConnection,
    log,
  })
  return { app, db, tokens, resolveConnection, close: () => db.destroy() }
}

/** Listens and resolves once the port is bound (port 0 picks a free one). */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)))
    server.keepAliveTimeout = 65_000
  })
}
