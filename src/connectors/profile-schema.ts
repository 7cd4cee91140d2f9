import type { SchemaObject } from 'ajv'

/** A request template as written in a profile. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  body?: Record<string, string>
}

export interface RuleSpec {
  required?: boolean
  format?: 'email'
  immutable?: boolean
  writeOnCreateOnly?: boolean
  allowedValues?: string[] | string
  default?: string
  keepWhenAbsent?: boolean
}

export interface SettingSpec {
  type: 'string' | 'date' | 'string-list'
  required?: boolean
  default?: string | string[]
  description?: string
  /** This date is when the connection's upstream credential expires: warn before it. */
  credentialExpiry?: boolean
}

/** `connectors/<name>.yaml` as written: product knowledge, tenant-independent. */
export interface ProfileFile {
  name: string
  /** The product's name as operators and IdP admins know it, used in error details. */
  product: string
  description?: string
  mode: 'translate' | 'proxy'
  resources: ('User' | 'Group')[]
  deletePolicy: 'deactivate' | 'remove' | 'hard'
  deletePolicies: ('deactivate' | 'remove' | 'hard')[]
  auth: { type: 'bearer'; secret: string }
  headers?: Record<string, string>
  limits?: {
    requestsPerMinute?: number
    concurrency?: number
    timeoutMs?: number
    maxRetries?: number
  }
  breaker?: { failureThreshold?: number; cooldownSeconds?: number }
  errors?: { code?: string; message?: string }
  settings?: Record<string, SettingSpec>
  maps?: Record<string, Record<string, string>>
  rules?: Record<string, RuleSpec>
  user?: {
    key: string
    nativeId: string
    create: RequestSpec
    lookup: RequestSpec
    update: RequestSpec
    delete?: { remove?: RequestSpec; hard?: RequestSpec }
    reactivate: 'create' | 'update'
  }
  scim?: {
    path: string
    /** The SCIM attributes the product holds; others are kept in the view and not sent. */
    attributes: string[]
    update?: 'patch' | 'put'
    reactivate?: 'post' | 'update'
  }
}

const request: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path'],
  properties: {
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    path: { type: 'string', pattern: '^/' },
    body: { type: 'object', additionalProperties: { type: 'string' } },
  },
}

const policy = { enum: ['deactivate', 'remove', 'hard'] }

export const profileSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'product', 'mode', 'resources', 'deletePolicy', 'deletePolicies', 'auth'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    product: { type: 'string', minLength: 1, maxLength: 60 },
    description: { type: 'string' },
    mode: { enum: ['translate', 'proxy'] },
    resources: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['User', 'Group'] },
    },
    deletePolicy: policy,
    deletePolicies: { type: 'array', minItems: 1, uniqueItems: true, items: policy },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'secret'],
      properties: {
        type: { const: 'bearer' },
        secret: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      },
    },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        requestsPerMinute: { type: 'number', exclusiveMinimum: 0 },
        concurrency: { type: 'integer', minimum: 1, maximum: 256 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 120000 },
        maxRetries: { type: 'integer', minimum: 0, maximum: 10 },
      },
    },
    breaker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        failureThreshold: { type: 'integer', minimum: 1 },
        cooldownSeconds: { type: 'number', minimum: 0 },
      },
    },
    errors: {
      type: 'object',
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    settings: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: ['string', 'date', 'string-list'] },
          required: { type: 'boolean' },
          default: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          description: { type: 'string' },
          credentialExpiry: { type: 'boolean' },
        },
      },
    },
    maps: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: { type: 'string' } },
    },
    rules: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          required: { type: 'boolean' },
          format: { const: 'email' },
          immutable: { type: 'boolean' },
          writeOnCreateOnly: { type: 'boolean' },
          allowedValues: {
            anyOf: [
              { type: 'string', pattern: '^settings\\.' },
              { type: 'array', items: { type: 'string' } },
            ],
          },
          default: { type: 'string' },
          keepWhenAbsent: { type: 'boolean' },
        },
      },
    },
    user: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'nativeId', 'create', 'lookup', 'update', 'reactivate'],
      properties: {
        key: { type: 'string' },
        nativeId: { type: 'string' },
        create: request,
        lookup: request,
        update: request,
        delete: {
          type: 'object',
          additionalProperties: false,
          properties: { remove: request, hard: request },
        },
        reactivate: { enum: ['create', 'update'] },
      },
    },
    scim: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'attributes'],
      properties: {
        path: { type: 'string', pattern: '^/' },
        attributes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
        update: { enum: ['patch', 'put'] },
        reactivate: { enum: ['post', 'update'] },
      },
    },
  },
}
