import type { SimulatorClock } from '../common/clock.ts'
import { resolveRateLimit, type RateLimitSetting } from '../common/rate-limit.ts'
import {
  isSuperAdminRule,
  parseCondition,
  SUPER_ADMIN_RULE,
  type ClumioRuleInput,
} from './auto-provisioning.ts'
import { CLUMIO_GLOBAL_OU_ID, clumioOrganizationalUnitId } from './organizational-units.ts'
import { CLUMIO_ROLE_IDS, findRole } from './roles.ts'
import type { ClumioUserSeed } from './users.ts'

export type { ClumioRuleInput } from './auto-provisioning.ts'
export type { ClumioUserSeed } from './users.ts'

export interface ClumioSimulatorOptions {
  /** API tokens accepted as `Authorization: Bearer …`. Default `['clumio-sim-token']`. */
  tokens?: readonly string[]
  /** Default 60 requests per 60 s per token [A]; `false` lifts it. */
  rateLimit?: false | Partial<RateLimitSetting>
  /** Users at start and after `/_sim/reset`. Default: one Super Admin on Global, the owner. */
  users?: readonly ClumioUserSeed[]
  /**
   * OUs under Global, by name. Their ids are `clumioOrganizationalUnitId(1…n)` in this order.
   * Default `['Prod']`.
   */
  organizationalUnits?: readonly string[]
  /** Auto user provisioning at start. Default false. */
  autoUserProvisioning?: boolean
  /** Auto user provisioning rules at start, ids `clumioRuleId(1…n)`. Default: Super Admin → Global. */
  rules?: readonly ClumioRuleInput[]
  clock?: SimulatorClock
}

export interface ClumioSettings {
  tokens: readonly string[]
  rateLimit: RateLimitSetting | false
  users: readonly ClumioUserSeed[]
  organizationalUnits: readonly string[]
  autoUserProvisioning: boolean
  rules: readonly ClumioRuleInput[]
}

export const CLUMIO_DEFAULTS: {
  readonly token: string
  readonly rateLimit: Readonly<RateLimitSetting>
  readonly organizationalUnits: readonly string[]
  readonly owner: Readonly<ClumioUserSeed>
  readonly rules: readonly ClumioRuleInput[]
} = {
  token: 'clumio-sim-token',
  rateLimit: { limit: 60, windowSeconds: 60 },
  organizationalUnits: ['Prod'],
  owner: {
    id: 1,
    email: 'owner@acme.example',
    full_name: 'Olive Owner',
    is_confirmed: true,
    is_enabled: true,
    access_control_configuration: [
      { role_id: CLUMIO_ROLE_IDS.superAdmin, organizational_unit_ids: [CLUMIO_GLOBAL_OU_ID] },
    ],
  },
  rules: [SUPER_ADMIN_RULE],
}

function checkUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>()
  for (const value of values) {
    if (seen.has(value.toLowerCase())) throw new TypeError(`Duplicate ${what}: ${value}`)
    seen.add(value.toLowerCase())
  }
}

/** Seeds must be consistent, as the API would have kept them; a mistake is a setup error. */
function checkSeeds(settings: ClumioSettings): void {
  checkUnique(['Global', ...settings.organizationalUnits], 'organizational unit name')
  checkUnique(
    settings.users.map((user) => user.email),
    'user email',
  )
  const ids = settings.users.flatMap((user) => (user.id === undefined ? [] : [user.id]))
  checkUnique(ids.map(String), 'user id')
  const badId = ids.find((id) => !Number.isSafeInteger(id) || id < 1)
  if (badId !== undefined) throw new TypeError(`User ids are positive integers, not ${badId}`)
  checkUnique(
    settings.rules.map((rule) => rule.name),
    'rule name',
  )
  const unitIds = [
    CLUMIO_GLOBAL_OU_ID,
    ...settings.organizationalUnits.map((_, index) => clumioOrganizationalUnitId(index + 1)),
  ]
  const access = [
    ...settings.users.flatMap((user) => user.access_control_configuration ?? []),
    ...settings.rules.map((rule) => rule.provision),
  ]
  for (const entry of access) {
    if (!findRole(entry.role_id)) throw new TypeError(`Unknown role id ${entry.role_id}`)
    for (const id of entry.organizational_unit_ids)
      if (!unitIds.includes(id)) throw new TypeError(`Unknown organizational unit id ${id}`)
  }
  for (const rule of settings.rules) {
    try {
      parseCondition(rule.condition)
    } catch (error) {
      throw new TypeError(
        `Rule ${rule.name}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
  }
  if (settings.autoUserProvisioning && !settings.rules.some(isSuperAdminRule))
    throw new TypeError('Auto user provisioning needs a Super Admin → Global rule')
}

export function resolveClumioSettings(options: ClumioSimulatorOptions): ClumioSettings {
  const settings: ClumioSettings = {
    tokens: options.tokens ?? [CLUMIO_DEFAULTS.token],
    rateLimit: resolveRateLimit(options.rateLimit, CLUMIO_DEFAULTS.rateLimit),
    users: options.users ?? [CLUMIO_DEFAULTS.owner],
    organizationalUnits: options.organizationalUnits ?? CLUMIO_DEFAULTS.organizationalUnits,
    autoUserProvisioning: options.autoUserProvisioning ?? false,
    rules: options.rules ?? CLUMIO_DEFAULTS.rules,
  }
  checkSeeds(settings)
  return Object.freeze(settings)
}
