import { Router, type Express } from 'express'
import { createSimulatorApp } from '../common/app.ts'
import { createClock, type SimulatorClock } from '../common/clock.ts'
import {
  startSimulator,
  type SimulatorHandle,
  type StartSimulatorOptions,
} from '../common/start.ts'
import { formatTresoritError } from './errors.ts'
import { mountTresoritRoutes } from './routes.ts'
import {
  resolveTresoritSettings,
  type TresoritSettings,
  type TresoritSimulatorOptions,
} from './settings.ts'
import { createTresoritUsers, type TresoritUsers } from './users.ts'

export interface TresoritSimulator {
  app: Express
  clock: SimulatorClock
  settings: TresoritSettings
  /** `/{tenant}/admin/v1` */
  basePath: string
}

function mountHooks(router: Router, users: TresoritUsers): void {
  // R3: a suspension made in Admin Center, which SCIM `active` does not reflect.
  router.post('/admin-suspend/:email', (req, res) => {
    res.json(users.setStatus(req.params.email ?? '', 'suspended', 'admin'))
  })
  router.post('/accept-invite/:email', (req, res) => {
    res.json(users.acceptInvite(req.params.email ?? ''))
  })
}

/** The Tresorit-like product (PRODUCTS.md §4): an invented admin API over a user table. */
export function createTresoritSimulator(options: TresoritSimulatorOptions = {}): TresoritSimulator {
  const settings = resolveTresoritSettings(options)
  const clock = options.clock ?? createClock()
  const users = createTresoritUsers(settings.users, settings.licenses)
  const basePath = `/${settings.tenant}/admin/v1`
  const app = createSimulatorApp({
    clock,
    credentials: settings.tokens.map((token) => ({ token })),
    rateLimits: settings.rateLimit && [
      { name: 'admin', ...settings.rateLimit, matches: () => true },
    ],
    formatError: formatTresoritError,
    routes: (router) => {
      const admin = Router()
      mountTresoritRoutes(admin, settings, users)
      router.use(basePath, admin)
    },
    hooks: (router) => mountHooks(router, users),
    readState: () => ({
      plan: settings.plan,
      advancedControl: settings.advancedControl,
      license: users.license(),
      users: users.list(),
    }),
    resetState: () => users.reset(),
  })
  return { app, clock, settings, basePath }
}

export async function startTresoritSimulator(
  options: TresoritSimulatorOptions & StartSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const simulator = createTresoritSimulator(options)
  const started = await startSimulator(simulator.app, options)
  return {
    ...started,
    name: 'tresorit',
    baseUrl: `${started.url}${simulator.basePath}`,
    credential: simulator.settings.tokens[0] ?? '',
  }
}
