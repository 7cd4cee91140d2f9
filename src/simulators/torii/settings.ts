import type { SimulatorClock } from '../common/clock.ts'
import { resolveRateLimit, type RateLimitSetting } from '../common/rate-limit.ts'
import type { ToriiUser } from './users.ts'

export interface ToriiApiKey {
  key: string
  /** T1/T2: fixed at creation, cannot be changed. ISO 8601, read on the simulator clock. */
  expiresAt?: string
}

export type ToriiUserSeed = Partial<ToriiUser> & { userName: string }

export interface ToriiSimulatorOptions {
  /** Default `[{ key: 'torii-sim-key', expiresAt: '2030-12-31T00:00:00.000Z' }]`. */
  apiKeys?: readonly ToriiApiKey[]
  /** The account's roles, matched exactly (T3/T8). */
  roles?: readonly string[]
  /** Users at start and after `/_sim/reset`. Default: one active Admin, the account owner. */
  users?: readonly ToriiUserSeed[]
  /**
   * Per key: SCIM 200/60 s (T5/T6), the rest of `/v1.0` (native `/users`, `/roles`) 100/60 s
   * (T4). `false` lifts both.
   */
  rateLimit?: false | { scim?: Partial<RateLimitSetting>; native?: Partial<RateLimitSetting> }
  clock?: SimulatorClock
}

export interface ToriiSettings {
  apiKeys: readonly ToriiApiKey[]
  roles: readonly string[]
  users: readonly ToriiUserSeed[]
  scimRateLimit: RateLimitSetting | false
  nativeRateLimit: RateLimitSetting | false
}

export const TORII_DEFAULTS = {
  apiKey: { key: 'torii-sim-key', expiresAt: '2030-12-31T00:00:00.000Z' },
  // T8 predefined roles, plus the create default Employee (T3).
  roles: ['Admin', 'Read-only', 'Procurement', 'IT Admin', 'Employee'],
  owner: {
    id: 1,
    userName: 'owner@acme.example',
    givenName: 'Olive',
    familyName: 'Owner',
    role: 'Admin',
    active: true,
  },
  scimRateLimit: { limit: 200, windowSeconds: 60 },
  nativeRateLimit: { limit: 100, windowSeconds: 60 },
} as const

export function resolveToriiSettings(options: ToriiSimulatorOptions): ToriiSettings {
  const limits = options.rateLimit
  return Object.freeze({
    apiKeys: options.apiKeys ?? [TORII_DEFAULTS.apiKey],
    roles: options.roles ?? TORII_DEFAULTS.roles,
    users: options.users ?? [TORII_DEFAULTS.owner],
    scimRateLimit:
      limits === false ? false : resolveRateLimit(limits?.scim, TORII_DEFAULTS.scimRateLimit),
    nativeRateLimit:
      limits === false ? false : resolveRateLimit(limits?.native, TORII_DEFAULTS.nativeRateLimit),
  })
}
