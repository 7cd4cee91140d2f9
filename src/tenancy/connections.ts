import type { ConnectionConfig, TenantConfig } from '../config/tenant-config.ts'
import type { DialectSetting } from '../scim/dialects.ts'
import type { ConnectionJobs } from '../connectors/connection-jobs.ts'
import type { ResourceService } from '../scim/types.ts'

/** A tenant's connection, ready to serve: its ResourceService and the tenant's dialect. */
export interface ResolvedConnection {
  tenant: string
  name: string
  /** `tenant/connection`: the key every stored row of this connection carries. */
  key: string
  dialect: DialectSetting
  config: ConnectionConfig
  service: ResourceService
  /** The outbox kinds the connection runs (product connections). */
  jobs?: ConnectionJobs
}

export type ConnectionResolver = (
  tenant: string,
  connection: string,
) => ResolvedConnection | undefined

export function connectionKey(tenant: string, connection: string): string {
  return `${tenant}/${connection}`
}

/** Builds every tenant's connections once; lookups are then a map read. */
export function createConnectionResolver(
  tenants: ReadonlyMap<string, TenantConfig>,
  createServices: (
    connection: ConnectionConfig,
    key: string,
  ) => { service: ResourceService; jobs?: ConnectionJobs },
): ConnectionResolver {
  const resolved = new Map<string, ResolvedConnection>()
  for (const tenant of tenants.values()) {
    for (const [name, config] of Object.entries(tenant.connections)) {
      const key = connectionKey(tenant.tenant, name)
      resolved.set(key, {
        tenant: tenant.tenant,
        name,
        key,
        dialect: tenant.dialect,
        config,
        ...createServices(config, key),
      })
    }
  }
  return (tenant, connection) => resolved.get(connectionKey(tenant, connection))
}
