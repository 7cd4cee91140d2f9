import { expect } from 'chai'
import {
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  resourceTypes,
  schemaResources,
  serviceProviderConfig,
  toListResponse,
} from '../../../src/scim/discovery.ts'
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  USER_SCHEMA,
  groupSchema,
  userSchema,
} from '../../../src/scim/schemas.ts'
import { isJsonObject, type JsonValue, type ScimResource } from '../../../src/scim/types.ts'

const BASE = 'https://gw.example.com/scim/v2'

function objectAt(value: JsonValue | undefined): Record<string, JsonValue> {
  if (!isJsonObject(value)) expect.fail(`expected an object, got ${JSON.stringify(value)}`)
  return value
}

describe('serviceProviderConfig', () => {
  const config = serviceProviderConfig({ maxResults: 200, maxPayloadSize: 1_048_576 })

  it('declares the RFC 7643 §5 capabilities the gateway has', () => {
    expect(config).to.deep.include({
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 1_048_576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
    })
  })

  it('offers one primary OAuth bearer token scheme with a name and description', () => {
    const schemes = config.authenticationSchemes
    expect(schemes).to.be.an('array').with.lengthOf(1)
    const scheme = objectAt((schemes as JsonValue[])[0])
    expect(scheme.type).to.equal('oauthbearertoken')
    expect(scheme.primary).to.equal(true)
    expect(scheme.name).to.be.a('string').and.not.be.empty
    expect(scheme.description).to.be.a('string').and.not.be.empty
  })

  it('omits documentationUri unless given, and includes it when given', () => {
    expect(config).not.to.have.property('documentationUri')
    const documented = serviceProviderConfig({
      documentationUri: 'https://docs.example.com/scim',
      maxResults: 1,
      maxPayloadSize: 1,
    })
    expect(documented.documentationUri).to.equal('https://docs.example.com/scim')
  })

  it('sets meta.resourceType always and meta.location when a base URL is given', () => {
    expect(config.meta).to.deep.equal({ resourceType: 'ServiceProviderConfig' })
    const located = serviceProviderConfig({ maxResults: 1, maxPayloadSize: 1, baseUrl: `${BASE}/` })
    expect(objectAt(located.meta).location).to.equal(`${BASE}/ServiceProviderConfig`)
  })

  it('is plain JSON (survives a round trip unchanged)', () => {
    expect(JSON.parse(JSON.stringify(config))).to.deep.equal(config)
  })
})

describe('resourceTypes', () => {
  it('lists Users before Groups whatever the input order (RFC 7643 §6)', () => {
    const types = resourceTypes(['Group', 'User'], BASE)
    expect(types.map((t) => t.id)).to.deep.equal(['User', 'Group'])
  })

  it('describes the User type with its enterprise extension and location', () => {
    const [user] = resourceTypes(['User'], BASE)
    expect(user).to.deep.equal({
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${BASE}/ResourceTypes/User` },
    })
  })

  it('gives Group no extensions', () => {
    const [group] = resourceTypes(['Group'], BASE)
    expect(group?.schema).to.equal(GROUP_SCHEMA)
    expect(group?.schemaExtensions).to.deep.equal([])
  })

  it('advertises only the given types (a connection without Groups)', () => {
    expect(resourceTypes(['User'], BASE).map((t) => t.id)).to.deep.equal(['User'])
    expect(resourceTypes([], BASE)).to.deep.equal([])
  })

  it('lists a type once even when named twice', () => {
    expect(resourceTypes(['User', 'User'], BASE)).to.have.lengthOf(1)
  })

  it('does not double the slash of a base URL ending in /', () => {
    const [user] = resourceTypes(['User'], `${BASE}//`)
    expect(objectAt(user?.meta).location).to.equal(`${BASE}/ResourceTypes/User`)
  })
})

describe('schemaResources', () => {
  it('serves User and its extension for a users-only connection', () => {
    const ids = schemaResources(['User'], BASE).map((s) => s.id)
    expect(ids).to.deep.equal([USER_SCHEMA, ENTERPRISE_USER_SCHEMA])
  })

  it('serves only the Group schema for a groups-only list', () => {
    expect(schemaResources(['Group'], BASE).map((s) => s.id)).to.deep.equal([GROUP_SCHEMA])
  })

  it('serves all three, Users first, for both types', () => {
    const ids = schemaResources(['Group', 'User'], BASE).map((s) => s.id)
    expect(ids).to.deep.equal([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA])
  })

  it('marks each as a Schema resource with its location (RFC 7643 §7)', () => {
    for (const schema of schemaResources(['User', 'Group'], BASE)) {
      if (typeof schema.id !== 'string') expect.fail('a schema id is a string')
      expect(schema.schemas).to.deep.equal([SCHEMA_SCHEMA])
      expect(schema.meta).to.deep.equal({
        resourceType: 'Schema',
        location: `${BASE}/Schemas/${schema.id}`,
      })
    }
  })

  it('serves the attributes exactly as schemas.ts defines them', () => {
    const [user, , group] = schemaResources(['User', 'Group'], BASE)
    expect(user?.attributes).to.deep.equal(JSON.parse(JSON.stringify(userSchema.attributes)))
    expect(group?.attributes).to.deep.equal(JSON.parse(JSON.stringify(groupSchema.attributes)))
    expect(user?.name).to.equal('User')
  })

  it('hands out copies, so a caller cannot alter the shared definitions', () => {
    const [user] = schemaResources(['User'], BASE)
    const attributes = user?.attributes as JsonValue[]
    objectAt(attributes[0]).name = 'tampered'
    expect(userSchema.attributes[0]?.name).to.equal('userName')
  })

  it('declares password writeOnly and never returned', () => {
    const [user] = schemaResources(['User'], BASE)
    const password = (user?.attributes as JsonValue[])
      .map(objectAt)
      .find((a) => a.name === 'password')
    expect(password).to.include({ mutability: 'writeOnly', returned: 'never' })
  })
})

describe('toListResponse', () => {
  const resources: ScimResource[] = [{ id: 'a' }, { id: 'b' }]

  it('builds an RFC 7644 §3.4.2 ListResponse', () => {
    expect(toListResponse(resources, { totalResults: 57, startIndex: 11 })).to.deep.equal({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 57,
      itemsPerPage: 2,
      startIndex: 11,
      Resources: resources,
    })
  })

  it("answers Entra's Test Connection with an empty Resources array", () => {
    expect(toListResponse([], { totalResults: 0, startIndex: 1 })).to.deep.equal({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 0,
      itemsPerPage: 0,
      startIndex: 1,
      Resources: [],
    })
  })

  it('keeps the counts as JSON integers, never strings (Okta)', () => {
    const text = JSON.stringify(toListResponse(resources, { totalResults: 2, startIndex: 1 }))
    expect(text).to.include('"totalResults":2').and.include('"itemsPerPage":2')
    expect(text).to.include('"startIndex":1')
  })

  it('copies the resource array rather than sharing it', () => {
    const list = toListResponse(resources, { totalResults: 2, startIndex: 1 })
    expect(list.Resources).not.to.equal(resources)
  })

  it('wraps /Schemas as Entra reads it', () => {
    const schemas = schemaResources(['User'], BASE)
    const list = toListResponse(schemas, { totalResults: schemas.length, startIndex: 1 })
    expect(list.itemsPerPage).to.equal(2)
  })

  const bad: [string, number, number][] = [
    ['a fractional totalResults', 1.5, 1],
    ['a negative totalResults', -1, 1],
    ['NaN', Number.NaN, 1],
    ['a startIndex of 0', 0, 0],
    ['an infinite startIndex', 0, Number.POSITIVE_INFINITY],
  ]
  for (const [label, totalResults, startIndex] of bad) {
    it(`refuses ${label}: a caller bug, not client input`, () => {
      expect(() => toListResponse([], { totalResults, startIndex })).to.throw(RangeError)
    })
  }
})
