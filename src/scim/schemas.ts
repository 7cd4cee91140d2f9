/**
 * Schema definitions of RFC 7643 §4 (User, Group, Enterprise User), in the shape `/Schemas`
 * serves (§7). The core uses them to resolve attribute names case-insensitively, to know
 * which comparisons are case-exact, which values are booleans, and what to validate.
 */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary'

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
export type Returned = 'always' | 'never' | 'default' | 'request'

export interface AttributeDefinition {
  name: string
  type: AttributeType
  multiValued: boolean
  description: string
  required: boolean
  caseExact: boolean
  mutability: Mutability
  returned: Returned
  uniqueness: 'none' | 'server' | 'global'
  canonicalValues?: string[]
  referenceTypes?: string[]
  subAttributes?: AttributeDefinition[]
}

export interface SchemaDefinition {
  id: string
  name: string
  description: string
  attributes: AttributeDefinition[]
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type'>>

function attr(
  name: string,
  type: AttributeType,
  description: string,
  options: AttributeOptions = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  }
}

const str = (name: string, description: string, options?: AttributeOptions) =>
  attr(name, 'string', description, options)

/** The sub-attributes RFC 7643 §2.4 gives every multi-valued attribute. */
function multi(
  name: string,
  description: string,
  valueType: AttributeType,
  types: string[],
  extra: AttributeDefinition[] = [],
): AttributeDefinition {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      attr('value', valueType, `The value of ${name}.`),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', 'A label indicating the function of the attribute.', { canonicalValues: types }),
      attr('primary', 'boolean', 'Indicates the primary or preferred value.'),
      ...extra,
    ],
  })
}

const memberReference = (name: string, description: string, mutability: Mutability) =>
  attr(name, 'complex', description, {
    multiValued: true,
    mutability,
    subAttributes: [
      str('value', 'The identifier of the member.', { mutability: 'immutable' }),
      attr('$ref', 'reference', 'The URI of the member.', {
        mutability: 'immutable',
        referenceTypes: ['User', 'Group'],
      }),
      str('display', 'A human-readable name.', { mutability: 'readOnly' }),
      str('type', 'User or Group.', {
        mutability: 'immutable',
        canonicalValues: ['User', 'Group'],
      }),
    ],
  })

export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, used to authenticate.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', "The components of the user's real name.", {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name.'),
        str('givenName', 'The given name.'),
        str('middleName', 'The middle name(s).'),
        str('honorificPrefix', 'The honorific prefix(es).'),
        str('honorificSuffix', 'The honorific suffix(es).'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user.'),
    attr('profileUrl', 'reference', "A URI pointing to the user's online profile.", {
      referenceTypes: ['external'],
    }),
    str('title', "The user's title."),
    str('userType', 'The relationship between the organization and the user.'),
    str('preferredLanguage', "The user's preferred written or spoken language."),
    str('locale', "The user's default location."),
    str('timezone', "The user's time zone in IANA Time Zone database format."),
    attr('active', 'boolean', "The user's administrative status."),
    str('password', "The user's cleartext password.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multi('emails', 'Email addresses for the user.', 'string', ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the user.', 'string', [
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]),
    multi('ims', 'Instant messaging addresses for the user.', 'string', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    multi('photos', 'URLs of photos of the user.', 'reference', ['photo', 'thumbnail']),
    attr('addresses', 'complex', 'A physical mailing address for this user.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', 'A label indicating the function of the address.', {
          canonicalValues: ['work', 'home', 'other'],
        }),
        attr('primary', 'boolean', 'Indicates the primary or preferred address.'),
      ],
    }),
    memberReference('groups', 'Groups to which the user belongs (read-only).', 'readOnly'),
    multi('entitlements', 'Entitlements for the user.', 'string', []),
    multi('roles', 'Roles for the user.', 'string', []),
    multi('x509Certificates', 'X.509 certificates issued to the user.', 'binary', []),
  ],
}

export const enterpriseUserSchema: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'A string identifier, typically numeric or alphanumeric.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', "The user's manager.", {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.'),
        attr('$ref', 'reference', 'The URI of the manager resource.', {
          referenceTypes: ['User'],
        }),
        str('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
}

export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group.', { required: true }),
    memberReference('members', 'A list of members of the Group.', 'readWrite'),
  ],
}

/** Attributes RFC 7643 §3.1 gives every resource, outside any schema's own list. */
export const commonAttributes: AttributeDefinition[] = [
  str('id', 'Unique identifier for the resource, assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', 'An identifier for the resource as defined by the provisioning client.', {
    caseExact: true,
  }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The name of the resource type.', { caseExact: true }),
      attr('created', 'dateTime', 'When the resource was added.'),
      attr('lastModified', 'dateTime', 'When the resource was last updated.'),
      attr('location', 'reference', 'The URI of the resource.', { caseExact: true }),
      str('version', 'The version (ETag) of the resource.', { caseExact: true }),
    ],
  }),
]

export interface ResourceTypeDefinition {
  name: 'User' | 'Group'
  endpoint: '/Users' | '/Groups'
  description: string
  schema: SchemaDefinition
  extensions: { schema: SchemaDefinition; required: boolean }[]
}

export const resourceTypeDefinitions: Record<'User' | 'Group', ResourceTypeDefinition> = {
  User: {
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: userSchema,
    extensions: [{ schema: enterpriseUserSchema, required: false }],
  },
  Group: {
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group',
    schema: groupSchema,
    extensions: [],
  },
}
