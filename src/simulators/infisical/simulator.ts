import { Router, type Express } from 'express'
import { createSimulatorApp } from '../common/app.ts'
import { createClock, type SimulatorClock } from '../common/clock.ts'
import type { RateLimitRule } from '../common/rate-limit.ts'
import {
  startSimulator,
  type SimulatorHandle,
  type StartSimulatorOptions,
} from '../common/start.ts'
import { formatInfisicalError, notFound, SCIM_BASE_PATH } from './errors.ts'
import { mountInfisicalHooks } from './hooks.ts'
import { mountNativeRoutes } from './native-routes.ts'
import { requireScimPreconditions } from './preconditions.ts'
import { mountScimGroupRoutes } from './scim-groups-routes.ts'
import { mountScimUserRoutes } from './scim-users-routes.ts'
import {
  resolveInfisicalSettings,
  type InfisicalSettings,
  type InfisicalSimulatorOptions,
} from './settings.ts'
import { createInfisicalStore, type InfisicalStore } from './store.ts'
import { mountScimTokenRoutes } from './token-routes.ts'
import { createInfisicalTokens, requireTokenFamily, type InfisicalTokens } from './tokens.ts'

export const INFISICAL_API_PATH = '/api'
export const INFISICAL_INVITE_PATH = '/api/v1/invite-org/signup'

export interface InfisicalSimulator {
  app: Express
  clock: SimulatorClock
  settings: InfisicalSettings
  store: InfisicalStore
}

function toRateLimits(settings: InfisicalSettings): RateLimitRule[] {
  const rules: RateLimitRule[] = []
  // First match wins: the invite route counts against its own (SMTP) budget only.
  if (settings.inviteRateLimit)
    rules.push({
      name: 'invite',
      ...settings.inviteRateLimit,
      matches: (path) => path === INFISICAL_INVITE_PATH,
    })
  if (settings.rateLimit) rules.push({ name: 'global', ...settings.rateLimit, matches: () => true })
  return rules
}

/** `/api/v1/scim`: token management (user tokens), then the SCIM server (SCIM tokens). */
function createScimRouter(store: InfisicalStore, tokens: InfisicalTokens): Router {
  const scim = Router()
  mountScimTokenRoutes(scim, store, tokens)
  scim.use(requireTokenFamily(tokens, 'scim'))
  scim.use(requireScimPreconditions(() => store.org.get()))
  mountScimUserRoutes(scim, store)
  mountScimGroupRoutes(scim, store)
  // Unknown SCIM paths end here rather than reach the native router's user-token check.
  scim.use((req) => {
    throw notFound(`No route for ${req.method} ${req.originalUrl.split('?')[0] ?? ''}`)
  })
  return scim
}

/** Infisical (PRODUCTS.md §3): its SCIM server and the native organisation-membership API. */
export function createInfisicalSimulator(
  options: InfisicalSimulatorOptions = {},
): InfisicalSimulator {
  const settings = resolveInfisicalSettings(options)
  const clock = options.clock ?? createClock()
  const store = createInfisicalStore(settings, clock)
  const tokens = createInfisicalTokens(settings, clock)
  const app = createSimulatorApp({
    clock,
    credentials: tokens.credentials,
    rateLimits: toRateLimits(settings),
    formatError: formatInfisicalError,
    routes: (router) => {
      router.use(SCIM_BASE_PATH, createScimRouter(store, tokens))
      const native = Router()
      native.use(requireTokenFamily(tokens, 'user'))
      mountNativeRoutes(native, store)
      router.use(INFISICAL_API_PATH, native)
    },
    hooks: (router) => mountInfisicalHooks(router, store),
    readState: () => store.snapshot(),
    resetState: () => {
      store.reset()
      tokens.reset()
    },
  })
  return { app, clock, settings, store }
}

export async function startInfisicalSimulator(
  options: InfisicalSimulatorOptions & StartSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const simulator = createInfisicalSimulator(options)
  const started = await startSimulator(simulator.app, options)
  return {
    ...started,
    name: 'infisical',
    baseUrl: started.url,
    credential: simulator.settings.scimTokens[0] ?? '',
  }
}
