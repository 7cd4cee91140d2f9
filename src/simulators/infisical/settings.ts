import type { SimulatorClock } from '../common/clock.ts'
import { resolveRateLimit, type RateLimitSetting } from '../common/rate-limit.ts'

export type InfisicalAuthMethod = 'saml' | 'oidc' | null

export interface InfisicalPlan {
  scim: boolean
  groups: boolean
}

export type MembershipStatus = 'invited' | 'accepted'

/** A member present at start and after `/_sim/reset`: one user and its org membership. */
export interface InfisicalUserSeed {
  email: string
  firstName?: string
  lastName?: string
  /** Default: the email. */
  username?: string
  userId?: string
  membershipId?: string
  /** Default `member`. */
  role?: string
  /** Default `accepted`; an accepted seed has finished setting up its account. */
  status?: MembershipStatus
  isActive?: boolean
  /** The SCIM userName alias, if the member was provisioned. Default null. */
  externalId?: string | null
  isEmailVerified?: boolean
}

export interface InfisicalSimulatorOptions {
  /** The organisation's id (a UUID). */
  orgId?: string
  /** SCIM tokens, accepted on `/api/v1/scim/*` only. Default `['infisical-sim-scim-token']`. */
  scimTokens?: readonly string[]
  /** Stand-ins for an org admin's user JWT, accepted on the native routes only. */
  userTokens?: readonly string[]
  /** The licence: SCIM and groups. Default both on. */
  plan?: Partial<InfisicalPlan>
  /** The organisation's SCIM switch. Default true. */
  scimEnabled?: boolean
  /** The SSO configured for the organisation; SCIM writes need one. Default `saml`. */
  authMethod?: InfisicalAuthMethod
  /** Whether SSO emails are trusted (verified) for new users. Default true. */
  trustEmails?: boolean
  /** The role new SCIM members get. Default `member`. */
  defaultMembershipRole?: string
  /** Group name → org role, applied to members still `invited` when they join the group. */
  groupRoleMappings?: Readonly<Record<string, string>>
  /** Default: one accepted admin, the organisation's owner. */
  users?: readonly InfisicalUserSeed[]
  /**
   * Per credential: 600 requests per 60 s, and the invite route its own 2 per 40 s (the SMTP
   * limit). `false` lifts both.
   */
  rateLimit?: false | (Partial<RateLimitSetting> & { invite?: Partial<RateLimitSetting> })
  clock?: SimulatorClock
}

export interface InfisicalSettings {
  orgId: string
  scimTokens: readonly string[]
  userTokens: readonly string[]
  plan: Readonly<InfisicalPlan>
  scimEnabled: boolean
  authMethod: InfisicalAuthMethod
  trustEmails: boolean
  defaultMembershipRole: string
  groupRoleMappings: Readonly<Record<string, string>>
  users: readonly InfisicalUserSeed[]
  rateLimit: RateLimitSetting | false
  inviteRateLimit: RateLimitSetting | false
}

export const INFISICAL_DEFAULTS = {
  orgId: '6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d01',
  scimToken: 'infisical-sim-scim-token',
  userToken: 'infisical-sim-user-token',
  owner: {
    userId: '0b6d2c4e-8f1a-4e3b-9c5d-7a2e1f3b4c01',
    membershipId: '3c8e5a1f-2b4d-4f6a-8e0c-9d1b7a5e3f01',
    email: 'owner@acme.example',
    firstName: 'Olive',
    lastName: 'Owner',
    role: 'admin',
    status: 'accepted',
  },
  rateLimit: { limit: 600, windowSeconds: 60 },
  inviteRateLimit: { limit: 2, windowSeconds: 40 },
} as const

export function resolveInfisicalSettings(options: InfisicalSimulatorOptions): InfisicalSettings {
  const limits = options.rateLimit
  const { invite, ...global } = limits || {}
  return Object.freeze({
    orgId: options.orgId ?? INFISICAL_DEFAULTS.orgId,
    scimTokens: options.scimTokens ?? [INFISICAL_DEFAULTS.scimToken],
    userTokens: options.userTokens ?? [INFISICAL_DEFAULTS.userToken],
    plan: { scim: true, groups: true, ...options.plan },
    scimEnabled: options.scimEnabled ?? true,
    authMethod: options.authMethod === undefined ? 'saml' : options.authMethod,
    trustEmails: options.trustEmails ?? true,
    defaultMembershipRole: options.defaultMembershipRole ?? 'member',
    groupRoleMappings: { ...options.groupRoleMappings },
    users: options.users ?? [INFISICAL_DEFAULTS.owner],
    rateLimit: limits === false ? false : resolveRateLimit(global, INFISICAL_DEFAULTS.rateLimit),
    inviteRateLimit:
      limits === false ? false : resolveRateLimit(invite, INFISICAL_DEFAULTS.inviteRateLimit),
  })
}
