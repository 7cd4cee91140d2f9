import type { SchemaObject } from 'ajv'

/** A product message (matched case-insensitively) and what the product needs. */
export interface Precondition {
  match: string
  need: string
}

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
  requirePrimary?: boolean
}

export interface SettingSpec {
  type: 'string' | 'date' | 'string-list' | 'access-rules'
  /** access-rules: the settings listing the roles and the units rules may name. */
  roles?: string
  units?: string
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
  errors?: {
    code?: string
    message?: string
    /** Product refusals that mean the account cannot provision yet (plan, SSO, SCIM off). */
    preconditions?: Precondition[]
  }
  settings?: Record<string, SettingSpec>
  maps?: Record<string, Record<string, string>>
  rules?: Record<string, RuleSpec>
  user?: {
    key: string
    nativeId: string
    create: RequestSpec
    lookup: RequestSpec
    /** The product has no lookup by key: page through a list and compare (Clumio). */
    lookupList?: LookupListSpec
    update: RequestSpec
    delete?: { remove?: RequestSpec; hard?: RequestSpec }
    reactivate: 'create' | 'update'
  }
  /** How the connection keeps groups: in the gateway only, or in the product too. */
  groups?: {
    store: 'gateway' | 'product'
    /** The product matches rules by group name: bare GUID names are refused. */
    refuseGuidNames?: boolean
    /** The product's groups hold users only. */
    usersOnly?: boolean
  }
  /** Roles assigned from group membership by the tenant's access rules (Clumio). */
  access?: AccessSpec
  /** New users are invited until they finish setting up their account (Infisical). */
  invitations?: InvitationSpec
  scim?: {
    path: string
    /** The SCIM attributes the product holds; others are kept in the view and not sent. */
    attributes: string[]
    update?: 'patch' | 'put'
    reactivate?: 'post' | 'update'
  }
}

/** A read of a product list: where its items are, and each item's id and name. */
export interface ListSpec {
  path: string
  headers?: Record<string, string>
  items: string
}

export interface LookupListSpec {
  /** Where a page's items are, which item field holds the key, and the page count. */
  items: string
  field: string
  totalPages: string
  /** The query parameter numbering pages from 1. */
  pageParam: string
}

export interface AccessSpec {
  /** The setting (type access-rules) holding the connection's rules. */
  rules: string
  roles: ListSpec
  units: ListSpec
  /** The user as the product holds it, and the PATCH that changes assignments. */
  user: { path: string; headers?: Record<string, string> }
  /** The user's assignments (`[{role_id, organizational_unit_ids}]`) and the update field. */
  assignments: string
  updates: string
  /** A product setting that must be off for the gateway to assign roles (Clumio's AUP). */
  mustBeOff?: { path: string; headers?: Record<string, string>; field: string; name: string }
  /** The role (on this unit) the product never lets go of its last holder. */
  protected?: { role: string; unit: string; countPath: string; count: string }
}

export interface InvitationSpec {
  /** Shown to operators while a user is invited. */
  pendingReason: string
  /** A read of the membership, with its own credential (optional on a connection). */
  check: { path: string; secret: string; field: string; done: string }
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

const headers = { type: 'object', additionalProperties: { type: 'string' } }
const listSpec: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'items'],
  properties: { path: { type: 'string', pattern: '^/' }, headers, items: { type: 'string' } },
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
    headers,
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
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        preconditions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['match', 'need'],
            properties: { match: { type: 'string', minLength: 1 }, need: { type: 'string' } },
          },
        },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: ['string', 'date', 'string-list', 'access-rules'] },
          roles: { type: 'string' },
          units: { type: 'string' },
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
          requirePrimary: { type: 'boolean' },
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
        lookupList: {
          type: 'object',
          additionalProperties: false,
          required: ['items', 'field', 'totalPages', 'pageParam'],
          properties: {
            items: { type: 'string' },
            field: { type: 'string' },
            totalPages: { type: 'string' },
            pageParam: { type: 'string', pattern: '^[A-Za-z_]+$' },
          },
        },
        update: request,
        delete: {
          type: 'object',
          additionalProperties: false,
          properties: { remove: request, hard: request },
        },
        reactivate: { enum: ['create', 'update'] },
      },
    },
    groups: {
      type: 'object',
      additionalProperties: false,
      required: ['store'],
      properties: {
        store: { enum: ['gateway', 'product'] },
        refuseGuidNames: { type: 'boolean' },
        usersOnly: { type: 'boolean' },
      },
    },
    access: {
      type: 'object',
      additionalProperties: false,
      required: ['rules', 'roles', 'units', 'user', 'assignments', 'updates'],
      properties: {
        rules: { type: 'string' },
        roles: listSpec,
        units: listSpec,
        user: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: { path: { type: 'string', pattern: '^/' }, headers },
        },
        assignments: { type: 'string' },
        updates: { type: 'string' },
        mustBeOff: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'field', 'name'],
          properties: {
            path: { type: 'string', pattern: '^/' },
            headers,
            field: { type: 'string' },
            name: { type: 'string' },
          },
        },
        protected: {
          type: 'object',
          additionalProperties: false,
          required: ['role', 'unit', 'countPath', 'count'],
          properties: {
            role: { type: 'string' },
            unit: { type: 'string' },
            countPath: { type: 'string', pattern: '^/' },
            count: { type: 'string' },
          },
        },
      },
    },
    invitations: {
      type: 'object',
      additionalProperties: false,
      required: ['pendingReason', 'check'],
      properties: {
        pendingReason: { type: 'string' },
        check: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'secret', 'field', 'done'],
          properties: {
            path: { type: 'string', pattern: '^/' },
            secret: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
            field: { type: 'string' },
            done: { type: 'string' },
          },
        },
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
