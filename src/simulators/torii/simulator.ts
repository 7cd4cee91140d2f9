import { Router, type Express } from 'express'
import { createSimulatorApp } from '../common/app.ts'
import { createClock, type SimulatorClock } from '../common/clock.ts'
import type { RateLimitRule } from '../common/rate-limit.ts'
import {
  startSimulator,
  type SimulatorHandle,
  type StartSimulatorOptions,
} from '../common/start.ts'
import { mountDiscoveryRoutes } from './discovery.ts'
import { mountNativeRoutes } from './native-routes.ts'
import { formatToriiError, SCIM_PATH } from './scim.ts'
import { mountScimUserRoutes } from './scim-routes.ts'
import { resolveToriiSettings, type ToriiSettings, type ToriiSimulatorOptions } from './settings.ts'
import { createToriiUsers, type ToriiUser } from './users.ts'

export const TORII_API_PATH = '/v1.0'

export interface ToriiSimulator {
  app: Express
  clock: SimulatorClock
  settings: ToriiSettings
}

function toRateLimits(settings: ToriiSettings): RateLimitRule[] {
  const rules: RateLimitRule[] = []
  const isScim = (path: string) => path.startsWith(`${SCIM_PATH}/`)
  if (settings.scimRateLimit)
    rules.push({ name: 'scim', ...settings.scimRateLimit, matches: isScim })
  if (settings.nativeRateLimit)
    rules.push({ name: 'native', ...settings.nativeRateLimit, matches: (path) => !isScim(path) })
  return rules
}

/** Torii (PRODUCTS.md §1): its SCIM API plus the native read model. */
export function createToriiSimulator(options: ToriiSimulatorOptions = {}): ToriiSimulator {
  const settings = resolveToriiSettings(options)
  const clock = options.clock ?? createClock()
  const users = createToriiUsers(settings.users, settings.roles, clock)
  const app = createSimulatorApp({
    clock,
    credentials: settings.apiKeys.map(({ key, expiresAt }) => ({ token: key, expiresAt })),
    rateLimits: toRateLimits(settings),
    formatError: formatToriiError,
    routes: (router) => {
      const scim = Router()
      mountDiscoveryRoutes(scim)
      mountScimUserRoutes(scim, users)
      router.use(SCIM_PATH, scim)
      const native = Router()
      mountNativeRoutes(native, users, settings.roles)
      router.use(TORII_API_PATH, native)
    },
    readState: () => ({
      roles: settings.roles,
      users: users
        .list()
        .map(({ id, userName, givenName, familyName, role, active }): ToriiUser => ({
          id,
          userName,
          givenName,
          familyName,
          role,
          active,
        })),
    }),
    resetState: () => users.reset(),
  })
  return { app, clock, settings }
}

export async function startToriiSimulator(
  options: ToriiSimulatorOptions & StartSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const simulator = createToriiSimulator(options)
  const started = await startSimulator(simulator.app, options)
  return {
    ...started,
    name: 'torii',
    baseUrl: `${started.url}${TORII_API_PATH}`,
    credential: simulator.settings.apiKeys[0]?.key ?? '',
  }
}
