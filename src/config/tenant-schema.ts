import type { JSONSchemaType, SchemaObject } from 'ajv'
import type { DialectSetting } from '../scim/dialects.ts'

/** Tenant and connection names: safe in URLs and file names, no traversal, no odd characters. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$'

/** Asymmetric algorithms only: an HS256 token "signed" with a public key can never verify. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

export type DeletePolicy = 'deactivate' | 'remove' | 'hard'

/** A connection as written in the file; secrets are still references. */
export interface ConnectionFile {
  connector: string
  baseUrl?: string
  secrets?: Record<string, string>
  settings?: Record<string, unknown>
  deletePolicy?: DeletePolicy
  rateLimit?: { requestsPerSecond: number; burst?: number }
}

export interface JwtFile {
  issuer: string
  audience: string | string[]
  jwksUri?: string
  jwks?: { keys: Record<string, unknown>[] }
  publicKeyPem?: string
  algorithms?: JwtAlgorithm[]
  requiredClaims?: Record<string, string>
  clockToleranceSeconds?: number
  jwksCooldownSeconds?: number
}

export interface TenantFile {
  tenant: string
  displayName?: string
  dialect?: DialectSetting
  jwt?: JwtFile
  connections: Record<string, ConnectionFile>
}

const connectionSchema: JSONSchemaType<ConnectionFile> = {
  type: 'object',
  additionalProperties: false,
  required: ['connector'],
  properties: {
    connector: { type: 'string', pattern: NAME_PATTERN },
    baseUrl: { type: 'string', nullable: true, pattern: '^https?://[^\\s]+$' },
    secrets: {
      type: 'object',
      nullable: true,
      required: [],
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' },
      additionalProperties: { type: 'string' },
    },
    settings: { type: 'object', nullable: true, required: [] },
    deletePolicy: { type: 'string', nullable: true, enum: ['deactivate', 'remove', 'hard'] },
    rateLimit: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['requestsPerSecond'],
      properties: {
        requestsPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 100000 },
        burst: { type: 'integer', nullable: true, minimum: 1, maximum: 100000 },
      },
    },
  },
}

// Plain schema objects: ajv's typed schemas cannot express `audience`'s union.
const jwtSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'audience'],
  properties: {
    issuer: { type: 'string', minLength: 1 },
    audience: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
    },
    jwksUri: { type: 'string', nullable: true, pattern: '^https?://[^\\s]+$' },
    jwks: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['keys'],
      properties: { keys: { type: 'array', minItems: 1, items: { type: 'object', required: [] } } },
    },
    publicKeyPem: { type: 'string', nullable: true },
    algorithms: {
      type: 'array',
      nullable: true,
      minItems: 1,
      items: { type: 'string', enum: [...JWT_ALGORITHMS] },
    },
    requiredClaims: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: { type: 'string' },
    },
    clockToleranceSeconds: { type: 'integer', nullable: true, minimum: 0, maximum: 300 },
    jwksCooldownSeconds: { type: 'integer', nullable: true, minimum: 0, maximum: 3600 },
  },
}

export const tenantSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'connections'],
  properties: {
    tenant: { type: 'string', pattern: NAME_PATTERN },
    displayName: { type: 'string', nullable: true, maxLength: 200 },
    dialect: { type: 'string', nullable: true, enum: ['auto', 'entra', 'okta', 'generic'] },
    jwt: jwtSchema,
    connections: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: NAME_PATTERN },
      required: [],
      additionalProperties: connectionSchema,
    },
  },
}
