import type { Express, Router } from 'express'
import { isRecord } from '../common/body.ts'
import { createSimulatorApp } from '../common/app.ts'
import { createClock, type SimulatorClock } from '../common/clock.ts'
import {
  startSimulator,
  type SimulatorHandle,
  type StartSimulatorOptions,
} from '../common/start.ts'
import { createAutoProvisioning } from './auto-provisioning.ts'
import { badRequest, formatClumioError } from './errors.ts'
import { createOrganizationalUnits } from './organizational-units.ts'
import { CLUMIO_ROLES } from './roles.ts'
import { mountClumioRoutes, type ClumioState } from './routes.ts'
import {
  resolveClumioSettings,
  type ClumioSettings,
  type ClumioSimulatorOptions,
} from './settings.ts'
import { createClumioUsers, userNotFound } from './users.ts'

export interface ClumioSimulator {
  app: Express
  clock: SimulatorClock
  settings: ClumioSettings
}

function readLogin(body: unknown): { email: string; groups: string[] } {
  const groups: unknown = isRecord(body) ? (body.groups ?? []) : undefined
  if (
    !isRecord(body) ||
    typeof body.email !== 'string' ||
    !Array.isArray(groups) ||
    !groups.every((group): group is string => typeof group === 'string')
  )
    throw badRequest('invalid_request', 'Expected {"email": string, "groups": [string, …]}')
  return { email: body.email, groups }
}

function mountHooks(router: Router, state: ClumioState): void {
  // The invitee follows the invitation email.
  router.post('/accept-invite/:id', (req, res) => {
    const id = req.params.id ?? ''
    if (!/^[0-9]{1,15}$/.test(id)) throw userNotFound(id)
    res.json(state.users.acceptInvite(Number(id)))
  })
  // C5: rules are evaluated at every login and replace the user's roles and OUs.
  router.post('/login', (req, res) => {
    const { email, groups } = readLogin(req.body)
    const { autoProvisioning } = state
    const access = autoProvisioning.isEnabled() ? autoProvisioning.provisionFor(groups) : undefined
    res.json(state.users.login(email, access))
  })
}

function readState(state: ClumioState) {
  return {
    autoUserProvisioning: { is_enabled: state.autoProvisioning.isEnabled() },
    roles: CLUMIO_ROLES.map(({ id, name }) => ({ id, name })),
    organizationalUnits: state.organizationalUnits
      .list()
      .map(({ id, name, parent_id }) => ({ id, name, parent_id })),
    rules: state.autoProvisioning.listRules(),
    users: state.users.list(),
    invitations: state.users.invitations(),
  }
}

/** Clumio (PRODUCTS.md §2): users v2, roles, OUs and auto user provisioning. */
export function createClumioSimulator(options: ClumioSimulatorOptions = {}): ClumioSimulator {
  const settings = resolveClumioSettings(options)
  const clock = options.clock ?? createClock()
  const state: ClumioState = {
    users: createClumioUsers(settings.users, clock),
    organizationalUnits: createOrganizationalUnits(settings.organizationalUnits),
    autoProvisioning: createAutoProvisioning(settings.rules, settings.autoUserProvisioning),
  }
  const app = createSimulatorApp({
    clock,
    credentials: settings.tokens.map((token) => ({ token })),
    rateLimits: settings.rateLimit && [{ name: 'api', ...settings.rateLimit, matches: () => true }],
    formatError: formatClumioError,
    routes: (router) => mountClumioRoutes(router, state),
    hooks: (router) => mountHooks(router, state),
    readState: () => readState(state),
    resetState: () => {
      state.users.reset()
      state.organizationalUnits.reset()
      state.autoProvisioning.reset()
    },
  })
  return { app, clock, settings }
}

export async function startClumioSimulator(
  options: ClumioSimulatorOptions & StartSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const simulator = createClumioSimulator(options)
  const started = await startSimulator(simulator.app, options)
  return {
    ...started,
    name: 'clumio',
    baseUrl: started.url,
    credential: simulator.settings.tokens[0] ?? '',
  }
}
