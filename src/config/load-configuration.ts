import { loadProfiles, type ConnectorProfile } from '../connectors/profile.ts'
import { loadTenants, type ConnectorInfo, type TenantConfig } from './tenant-config.ts'
import type { ConfigProblem } from './yaml-file.ts'

/** The built-in connector: the gateway itself stores users and groups. */
export const DIRECTORY_CONNECTOR: ConnectorInfo = {
  settings: {},
  deletePolicies: ['hard'],
  needsBaseUrl: false,
}

export function connectorInfo(profile: ConnectorProfile): ConnectorInfo {
  return {
    settings: profile.settings,
    deletePolicies: profile.deletePolicies,
    secret: profile.authSecret,
    needsBaseUrl: true,
  }
}

export interface Configuration {
  profiles: ReadonlyMap<string, ConnectorProfile>
  tenants: ReadonlyMap<string, TenantConfig>
}

export type ConfigurationResult =
  ({ ok: true } & Configuration) | { ok: false; problems: ConfigProblem[] }

/**
 * Connector profiles first, then the tenant files checked against them: a connection may
 * only name a known connector, with the settings, secret and delete policy it takes.
 */
export async function loadConfiguration(
  paths: { tenantsDir: string; connectorsDir: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<ConfigurationResult> {
  const profiles = await loadProfiles(paths.connectorsDir)
  const known = new Map<string, ConnectorInfo>([['directory', DIRECTORY_CONNECTOR]])
  if (profiles.ok)
    for (const [name, profile] of profiles.profiles) known.set(name, connectorInfo(profile))
  const tenants = await loadTenants(paths.tenantsDir, { env, connectors: known })
  const problems = [
    ...(profiles.ok ? [] : profiles.problems),
    ...(tenants.ok ? [] : tenants.problems),
  ]
  if (!profiles.ok || !tenants.ok) return { ok: false, problems }
  return { ok: true, profiles: profiles.profiles, tenants: tenants.tenants }
}
