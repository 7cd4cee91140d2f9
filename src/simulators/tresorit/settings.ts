import type { SimulatorClock } from '../common/clock.ts'
import { resolveRateLimit, type RateLimitSetting } from '../common/rate-limit.ts'
import type { TresoritUser } from './users.ts'

export interface TresoritSimulatorOptions {
  /** The `{tenant}` path segment of `/{tenant}/admin/v1`. Default `acme`. */
  tenant?: string
  /** Provisioning tokens accepted as `Authorization: Bearer …`. Default `['tresorit-sim-token']`. */
  tokens?: readonly string[]
  /** Anything but enterprise refuses every admin call (R1: SCIM is Enterprise only). */
  plan?: 'enterprise' | 'business'
  /** Needed for permanent DELETE (R4/R5: Advanced Control). Default false. */
  advancedControl?: boolean
  /** Licences in the subscription. Default 50. */
  licenses?: number
  /** Default `['Default', 'Restricted']`; invites always get `Default` (R3). */
  policyTemplates?: readonly string[]
  /** Default 120 requests per 60 s per token [A]; `false` lifts it. */
  rateLimit?: false | Partial<RateLimitSetting>
  /** Users present at start and after `/_sim/reset` (e.g. admins added by hand). */
  users?: readonly (Partial<TresoritUser> & { email: string })[]
  /** Page size when `pageSize` is absent. Default 50. */
  defaultPageSize?: number
  clock?: SimulatorClock
}

export interface TresoritSettings {
  tenant: string
  tokens: readonly string[]
  plan: 'enterprise' | 'business'
  advancedControl: boolean
  licenses: number
  policyTemplates: readonly string[]
  rateLimit: RateLimitSetting | false
  users: readonly (Partial<TresoritUser> & { email: string })[]
  defaultPageSize: number
}

export const TRESORIT_DEFAULTS = {
  tenant: 'acme',
  token: 'tresorit-sim-token',
  licenses: 50,
  rateLimit: { limit: 120, windowSeconds: 60 },
} as const

export function resolveTresoritSettings(options: TresoritSimulatorOptions): TresoritSettings {
  const tenant = options.tenant ?? TRESORIT_DEFAULTS.tenant
  if (!/^[A-Za-z0-9_-]+$/.test(tenant)) throw new TypeError(`Invalid tenant segment: ${tenant}`)
  return Object.freeze({
    tenant,
    tokens: options.tokens ?? [TRESORIT_DEFAULTS.token],
    plan: options.plan ?? 'enterprise',
    advancedControl: options.advancedControl ?? false,
    licenses: options.licenses ?? TRESORIT_DEFAULTS.licenses,
    policyTemplates: options.policyTemplates ?? ['Default', 'Restricted'],
    rateLimit: resolveRateLimit(options.rateLimit, TRESORIT_DEFAULTS.rateLimit),
    users: options.users ?? [],
    defaultPageSize: options.defaultPageSize ?? 50,
  })
}
