import { randomUUID } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { exportPKCS8, importPKCS8, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose'
import {
  createSigningKey,
  signToken,
  startJwksServer,
  type JwksServer,
  type SignOptions,
  type SigningKey,
} from '../helpers/jwks-server.ts'
import {
  expectScimError,
  objectOf,
  scimClient,
  type ScimClient,
  type ScimResponse,
} from '../helpers/scim-client.ts'
import {
  createGroup,
  createUser,
  filterQuery,
  GROUP,
  memberIdsOf,
  metaOf,
  patchOf,
  resourcesOf,
  searchOf,
  USER,
  userNamesOf,
  type Resource,
} from '../helpers/scim-fixtures.ts'
import { ADMIN_TOKEN, startGateway, type StartedGateway } from '../helpers/start-gateway.ts'

/** Entra ID's audience for SCIM tokens to custom (non-gallery) apps: their application template id. */
const ENTRA_AUDIENCE = '8adf8e6e-67b2-4cf2-a259-e3dc5476c621'
/** Directory (tenant) ids of the two Entra organisations. */
const CONTOSO_TID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'
const FABRIKAM_TID = 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e'
const entraIssuer = (tid: string) => `https://sts.windows.net/${tid}/`

const TAILSPIN_ISSUER = 'https://login.tailspin.example/'
const NORTHWIND_ISSUER = 'https://northwind.okta.example/oauth2/default'
const WOODGROVE_ISSUER = 'https://idp.woodgrove.example/'
const GATEWAY_AUDIENCE = 'api://scim-gateway'

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** An Entra-style tenant: Microsoft signs every organisation's tokens with the same keys. */
const entraTenant = (tenant: string, tid: string, jwksUri: string, connections: string[]) =>
  [
    `tenant: ${tenant}`,
    'dialect: entra',
    'jwt:',
    `  issuer: "${entraIssuer(tid)}"`,
    `  audience: "${ENTRA_AUDIENCE}"`,
    `  jwksUri: "${jwksUri}"`,
    `  requiredClaims: { tid: "${tid}" }`,
    'connections:',
    ...connections.map((c) => `  ${c}:\n    connector: directory`),
    '',
  ].join('\n')

describe('IdP-issued JWTs on /t/{tenant}/{connection}/scim/v2', () => {
  let started: StartedGateway
  /** Publishes the keys Entra ID signs with, for contoso and fabrikam alike. */
  let entra: JwksServer
  /** Tailspin's IdP: fetches are counted and keys rotated (cooldown 0). */
  let tailspinIdp: JwksServer
  let northwindKey: SigningKey
  let woodgroveKey: SigningKey
  /** A key no tenant trusts. */
  let strangerKey: SigningKey
  /** What a bad gateway token gets: every refusal must look exactly like this. */
  let reference: ScimResponse

  const tenantUrl = (tenant: string, connection = 'directory') =>
    `${started.origin}/t/${tenant}/${connection}/scim/v2`

  /** A client on `/t/{tenant}/{connection}/scim/v2` with `token`. */
  const clientFor = (token: string, tenant: string, connection = 'directory') =>
    scimClient({ baseUrl: tenantUrl(tenant, connection), token })

  /** The claims Entra ID puts in a provisioning token for directory `tid`. */
  const entraClaims = (tid: string): JWTPayload => ({
    iss: entraIssuer(tid),
    aud: ENTRA_AUDIENCE,
    tid,
    sub: randomUUID(),
    oid: randomUUID(),
    appid: randomUUID(),
    idtyp: 'app',
  })

  /** A valid token for contoso, with `changes` applied to the claims. */
  const contosoToken = (changes: JWTPayload = {}, options: SignOptions = {}) =>
    signToken(entra.current, { ...entraClaims(CONTOSO_TID), ...changes }, options)

  const tailspinToken = () =>
    signToken(tailspinIdp.current, {
      iss: TAILSPIN_ISSUER,
      aud: GATEWAY_AUDIENCE,
      sub: randomUUID(),
    })

  async function getUsersWith(token: string, url: string): Promise<ScimResponse> {
    return scimClient({ baseUrl: url, token }).get('/Users')
  }

  /** A 401 with `WWW-Authenticate: Bearer` and the very body a bad gateway token gets. */
  function expectSameRefusal(res: ScimResponse) {
    expectScimError(res, 401)
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer\b/)
    expect(res.headers.get('www-authenticate')).to.equal(reference.headers.get('www-authenticate'))
    expect(res.body).to.deep.equal(reference.body)
  }

  before(async () => {
    entra = await startJwksServer('entra')
    tailspinIdp = await startJwksServer('tailspin')
    northwindKey = await createSigningKey('northwind-1')
    woodgroveKey = await createSigningKey('woodgrove-1')
    strangerKey = await createSigningKey('stranger-1')
    started = await startGateway({
      tenants: {
        contoso: entraTenant('contoso', CONTOSO_TID, entra.url, ['directory', 'other']),
        fabrikam: entraTenant('fabrikam', FABRIKAM_TID, entra.url, ['directory']),
        tailspin: [
          'tenant: tailspin',
          'jwt:',
          `  issuer: "${TAILSPIN_ISSUER}"`,
          `  audience: "${GATEWAY_AUDIENCE}"`,
          `  jwksUri: "${tailspinIdp.url}"`,
          '  jwksCooldownSeconds: 0',
          'connections:',
          '  directory:',
          '    connector: directory',
          '',
        ].join('\n'),
        // JSON is YAML: the key set is written inline, as copied from the IdP.
        northwind: [
          'tenant: northwind',
          'dialect: okta',
          'jwt:',
          `  issuer: "${NORTHWIND_ISSUER}"`,
          `  audience: "${GATEWAY_AUDIENCE}"`,
          `  jwks: ${JSON.stringify({ keys: [northwindKey.publicJwk] })}`,
          'connections:',
          '  directory:',
          '    connector: directory',
          '',
        ].join('\n'),
      },
    })
    // The PEM file must exist before its tenant loads: write both, then reload.
    const configDir = join(started.dir, 'config')
    await mkdir(join(configDir, 'keys'))
    await writeFile(join(configDir, 'keys', 'a.pem'), woodgroveKey.publicPem)
    await writeFile(
      join(configDir, 'woodgrove.yaml'),
      [
        'tenant: woodgrove',
        'jwt:',
        `  issuer: "${WOODGROVE_ISSUER}"`,
        `  audience: "${GATEWAY_AUDIENCE}"`,
        '  publicKeyPem: "${file:keys/a.pem}"',
        '  algorithms: [RS256, PS256]',
        'connections:',
        '  directory:',
        '    connector: directory',
        '',
      ].join('\n'),
    )
    const reload = await fetch(`${started.origin}/admin/api/config/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(reload.status, await reload.text()).to.equal(200)

    reference = await getUsersWith('scgw_bad_token', tenantUrl('contoso'))
  })

  after(async () => {
    await started?.close()
    await entra?.close()
    await tailspinIdp?.close()
  })

  describe('a valid Entra ID token', () => {
    it('creates a user on /t/contoso/directory/scim/v2/Users and reads it back', async () => {
      const scim = clientFor(await contosoToken(), 'contoso')
      const created = await createUser(scim, 'jwt.created@contoso.example', {
        name: { givenName: 'Jay', familyName: 'Wetee' },
      })
      expect(metaOf(created).location).to.equal(
        `${tenantUrl('contoso')}/Users/${String(created.id)}`,
      )
      const read = await scim.get(`/Users/${String(created.id)}`)
      expect(read.status).to.equal(200)
      expect(objectOf(read)).to.deep.equal(created)
      const found = await scim.get(
        `/Users?${filterQuery('userName eq "jwt.created@contoso.example"')}`,
      )
      expect(resourcesOf(found).map((u) => u.id)).to.deep.equal([created.id])
    })

    it('is accepted when it expired less than the clock tolerance ago', async () => {
      const issued = nowSeconds() - 3600
      const token = await contosoToken({}, { issuedAt: issued, expires: nowSeconds() - 20 })
      expect((await getUsersWith(token, tenantUrl('contoso'))).status).to.equal(200)
    })

    it('is accepted when it becomes valid less than the clock tolerance from now', async () => {
      const token = await contosoToken({}, { notBefore: nowSeconds() + 20 })
      expect((await getUsersWith(token, tenantUrl('contoso'))).status).to.equal(200)
    })
  })

  describe('the remote key set', () => {
    it('is fetched on first use, then served from the cache for other tokens signed by the same key', async () => {
      expect(tailspinIdp.fetches).to.equal(0)
      const first = await clientFor(await tailspinToken(), 'tailspin').get('/Users')
      expect(first.status, JSON.stringify(first.body)).to.equal(200)
      expect(tailspinIdp.fetches).to.equal(1)
      const second = await clientFor(await tailspinToken(), 'tailspin').get('/Users')
      expect(second.status, JSON.stringify(second.body)).to.equal(200)
      expect(tailspinIdp.fetches).to.equal(1)
    })

    it('is fetched again when a token names the new kid after the IdP rotates, and once only', async () => {
      const before = tailspinIdp.fetches
      const oldKey = tailspinIdp.current
      const newKey = await tailspinIdp.rotate()
      expect(newKey.kid).to.not.equal(oldKey.kid)
      const first = await clientFor(await tailspinToken(), 'tailspin').get('/Users')
      expect(first.status, JSON.stringify(first.body)).to.equal(200)
      expect(tailspinIdp.fetches).to.equal(before + 1)
      const second = await clientFor(await tailspinToken(), 'tailspin').get('/Users')
      expect(second.status, JSON.stringify(second.body)).to.equal(200)
      expect(tailspinIdp.fetches).to.equal(before + 1)
    })

    it('refuses a new token signed by a key the IdP has withdrawn from the refetched set', async () => {
      const withdrawn = tailspinIdp.current
      await tailspinIdp.rotate()
      // The gateway learns of the rotation from a token naming the new kid.
      expect((await clientFor(await tailspinToken(), 'tailspin').get('/Users')).status).to.equal(
        200,
      )
      const token = await signToken(withdrawn, {
        iss: TAILSPIN_ISSUER,
        aud: GATEWAY_AUDIENCE,
        sub: randomUUID(),
      })
      expectSameRefusal(await getUsersWith(token, tenantUrl('tailspin')))
    })
  })

  describe('refusals: each the same 401 as a bad gateway token', () => {
    it('gives the reference refusal a 401 with WWW-Authenticate: Bearer and an RFC 7644 body', () => {
      expectScimError(reference, 401)
      expect(reference.headers.get('www-authenticate')).to.match(/^Bearer\b/)
    })

    const cases: { name: string; token: () => Promise<string>; url?: () => string }[] = [
      {
        name: 'an unsigned token (alg: none)',
        token: () =>
          Promise.resolve(
            new UnsecuredJWT(entraClaims(CONTOSO_TID)).setExpirationTime('1h').encode(),
          ),
      },
      {
        name: 'a token from another issuer',
        token: () =>
          contosoToken({ iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' }),
      },
      {
        name: 'a token for another audience',
        token: () => contosoToken({ aud: '00000003-0000-0000-c000-000000000000' }),
      },
      {
        name: 'a token whose tid is another directory',
        token: () => contosoToken({ tid: FABRIKAM_TID }),
      },
      {
        name: 'a token without the required tid claim',
        token: () => contosoToken({ tid: undefined }),
      },
      {
        name: 'a token that expired beyond the clock tolerance',
        token: () =>
          contosoToken({}, { issuedAt: nowSeconds() - 7200, expires: nowSeconds() - 120 }),
      },
      {
        name: 'a token not valid until beyond the clock tolerance',
        token: () => contosoToken({}, { notBefore: nowSeconds() + 120 }),
      },
      {
        name: 'a token without exp',
        token: () =>
          new SignJWT(entraClaims(CONTOSO_TID))
            .setProtectedHeader({ alg: 'RS256', kid: entra.current.kid })
            .setIssuedAt()
            .sign(entra.current.privateKey),
      },
      {
        name: 'a token signed by a key the JWKS does not have (unknown kid)',
        token: () => signToken(strangerKey, entraClaims(CONTOSO_TID)),
      },
      {
        name: 'a token signed by another key under a published kid',
        token: () => signToken(strangerKey, entraClaims(CONTOSO_TID), { kid: entra.current.kid }),
      },
      {
        name: 'a token whose payload was altered after signing',
        token: async () => {
          const [header, , signature] = (await contosoToken()).split('.')
          const forged = Buffer.from(
            JSON.stringify({ ...entraClaims(CONTOSO_TID), exp: nowSeconds() + 3600 }),
          ).toString('base64url')
          return `${header}.${forged}.${signature}`
        },
      },
      {
        name: 'HS256 signed with the RSA public key PEM as the HMAC secret (key confusion)',
        token: () =>
          new SignJWT(entraClaims(CONTOSO_TID))
            .setProtectedHeader({ alg: 'HS256', kid: entra.current.kid })
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(entra.current.publicPem)),
      },
      { name: 'a garbage string', token: () => Promise.resolve('not-a-jwt-at-all') },
      { name: 'three garbage segments', token: () => Promise.resolve('e30.e30.e30') },
      {
        name: "tenant A's valid token on tenant B's path (same keys, B has its own issuer)",
        token: () => contosoToken(),
        url: () => tenantUrl('fabrikam'),
      },
      {
        name: 'a valid token on the one-URL form /scim/v2 (no tenant in the path)',
        token: () => contosoToken(),
        url: () => started.scimUrl,
      },
      {
        name: 'a valid token on a path naming an unknown connection',
        token: () => contosoToken(),
        url: () => tenantUrl('contoso', 'nope'),
      },
      {
        name: 'a valid token on a path naming an unknown tenant',
        token: () => contosoToken(),
        url: () => tenantUrl('nobody'),
      },
      {
        name: 'a valid token on a path with a malformed tenant name',
        token: () => contosoToken(),
        url: () => tenantUrl('Contoso'),
      },
    ]

    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const token = await c.token()
        expectSameRefusal(await getUsersWith(token, c.url ? c.url() : tenantUrl('contoso')))
      })
    }

    it("refuses tenant A's token on every method of tenant B's path, including writes", async () => {
      const scim = clientFor(await contosoToken(), 'fabrikam')
      const user = { schemas: [USER], userName: 'intruder@contoso.example' }
      expectSameRefusal(await scim.post('/Users', user))
      // Refused before the body is read: a malformed body does not turn it into a 400.
      expectSameRefusal(await scim.post('/Users', '{"schemas": ['))
      expectSameRefusal(await scim.put(`/Users/${randomUUID()}`, user))
      expectSameRefusal(await scim.delete(`/Users/${randomUUID()}`))
      expectSameRefusal(await scim.get('/ServiceProviderConfig'))
    })
  })

  describe('tenant isolation with JWTs', () => {
    let fabrikam: ScimClient
    let contoso: ScimClient
    let bUser: Resource
    let bOther: Resource
    let bGroup: Resource

    before(async () => {
      fabrikam = clientFor(await started.token('fabrikam', 'directory'), 'fabrikam')
      bUser = await createUser(fabrikam, 'b.user@fabrikam.example', { displayName: 'B User' })
      bOther = await createUser(fabrikam, 'shared.name@example.com')
      bGroup = await createGroup(fabrikam, 'Fabrikam Team', [String(bUser.id)])
      // As B sees its user now, with its group.
      bUser = objectOf(await fabrikam.get(`/Users/${String(bUser.id)}`))
      contoso = clientFor(await contosoToken(), 'contoso')
      await createUser(contoso, 'a.user@contoso.example')
    })

    it("answers 404 for tenant B's user and group ids on A's path", async () => {
      expectScimError(await contoso.get(`/Users/${String(bUser.id)}`), 404)
      expectScimError(await contoso.get(`/Groups/${String(bGroup.id)}`), 404)
    })

    it("never lists or finds tenant B's users and groups on A's path", async () => {
      const users = userNamesOf(await contoso.get('/Users?count=1000'))
      expect(users).to.include('a.user@contoso.example')
      expect(users).to.not.include('b.user@fabrikam.example')
      expect(users).to.not.include('shared.name@example.com')
      const filtered = await contoso.get(
        `/Users?${filterQuery('userName eq "b.user@fabrikam.example"')}`,
      )
      expect(resourcesOf(filtered)).to.deep.equal([])
      expect(objectOf(filtered).totalResults).to.equal(0)
      const byId = await contoso.get(`/Users?${filterQuery(`id eq "${String(bUser.id)}"`)}`)
      expect(resourcesOf(byId)).to.deep.equal([])
      const groups = resourcesOf(await contoso.get('/Groups'))
      expect(groups.map((g) => g.id)).to.not.include(bGroup.id)
      const groupFilter = await contoso.get(
        `/Groups?${filterQuery('displayName eq "Fabrikam Team"')}`,
      )
      expect(resourcesOf(groupFilter)).to.deep.equal([])
    })

    it("never finds tenant B's resources through POST .search on A's path", async () => {
      const search = searchOf({ filter: 'userName sw "b."' })
      expect(resourcesOf(await contoso.post('/Users/.search', search))).to.deep.equal([])
      const root = resourcesOf(await contoso.post('/.search', searchOf({})))
      const ids = root.map((r) => r.id)
      expect(ids).to.not.include(bUser.id)
      expect(ids).to.not.include(bGroup.id)
    })

    it("cannot replace, patch or delete tenant B's users and groups from A's path", async () => {
      const bId = String(bUser.id)
      const gId = String(bGroup.id)
      expectScimError(
        await contoso.put(`/Users/${bId}`, {
          schemas: [USER],
          userName: 'b.user@fabrikam.example',
          displayName: 'Hijacked',
        }),
        404,
      )
      expectScimError(
        await contoso.patch(
          `/Users/${bId}`,
          patchOf({ op: 'replace', path: 'active', value: false }),
        ),
        404,
      )
      expectScimError(await contoso.delete(`/Users/${bId}`), 404)
      expectScimError(
        await contoso.put(`/Groups/${gId}`, { schemas: [GROUP], displayName: 'Hijacked' }),
        404,
      )
      expectScimError(
        await contoso.patch(
          `/Groups/${gId}`,
          patchOf({ op: 'remove', path: `members[value eq "${bId}"]` }),
        ),
        404,
      )
      expectScimError(await contoso.delete(`/Groups/${gId}`), 404)

      const userNow = await fabrikam.get(`/Users/${bId}`)
      expect(objectOf(userNow)).to.deep.equal(bUser)
      const groupNow = objectOf(await fabrikam.get(`/Groups/${gId}`))
      expect(metaOf(groupNow).version).to.equal(metaOf(bGroup).version)
      expect(memberIdsOf(groupNow)).to.deep.equal([bId])
    })

    it("cannot make tenant B's user a member of one of A's groups", async () => {
      const res = await contoso.post('/Groups', {
        schemas: [GROUP],
        displayName: 'Contoso Borrowers',
        members: [{ value: String(bUser.id) }],
      })
      // Refused as an unknown member: this connection has no such user.
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([400, 404])
      expectScimError(res, res.status)
      const groups = await contoso.get(
        `/Groups?${filterQuery('displayName eq "Contoso Borrowers"')}`,
      )
      expect(resourcesOf(groups)).to.deep.equal([])
    })

    it("creates in A a userName that exists only in B: B's names do not collide or leak", async () => {
      const created = await createUser(contoso, 'shared.name@example.com')
      expect(created.id).to.not.equal(bOther.id)
      const inB = resourcesOf(
        await fabrikam.get(`/Users?${filterQuery('userName eq "shared.name@example.com"')}`),
      )
      expect(inB.map((u) => u.id)).to.deep.equal([bOther.id])
    })
  })

  describe('key sources in the tenant file', () => {
    const northwindToken = (key: SigningKey, options: SignOptions = {}) =>
      signToken(key, { iss: NORTHWIND_ISSUER, aud: GATEWAY_AUDIENCE, sub: 'okta-app' }, options)
    const woodgroveToken = (key: SigningKey) =>
      signToken(key, { iss: WOODGROVE_ISSUER, aud: GATEWAY_AUDIENCE, sub: 'woodgrove-idp' })

    it('accepts a token verified by an inline jwks: key set', async () => {
      const scim = clientFor(await northwindToken(northwindKey), 'northwind')
      const created = await createUser(scim, 'inline.jwks@northwind.example')
      expect((await scim.get(`/Users/${String(created.id)}`)).status).to.equal(200)
    })

    it('refuses a token that the inline key set does not verify', async () => {
      const token = await northwindToken(strangerKey, { kid: northwindKey.kid })
      expectSameRefusal(await getUsersWith(token, tenantUrl('northwind')))
    })

    it('accepts a token verified by publicKeyPem: ${file:keys/a.pem}', async () => {
      const scim = clientFor(await woodgroveToken(woodgroveKey), 'woodgrove')
      const created = await createUser(scim, 'pem.file@woodgrove.example')
      expect((await scim.get(`/Users/${String(created.id)}`)).status).to.equal(200)
    })

    it('accepts PS256 as well as RS256 from the one PEM key when the tenant lists both', async () => {
      const pss = await importPKCS8(await exportPKCS8(woodgroveKey.privateKey), 'PS256')
      const token = await new SignJWT({ iss: WOODGROVE_ISSUER, aud: GATEWAY_AUDIENCE, sub: 'pss' })
        .setProtectedHeader({ alg: 'PS256' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(pss)
      const res = await getUsersWith(token, tenantUrl('woodgrove'))
      expect(res.status, JSON.stringify(res.body)).to.equal(200)
    })

    it('refuses a token that the PEM key does not verify', async () => {
      const token = await woodgroveToken(strangerKey)
      expectSameRefusal(await getUsersWith(token, tenantUrl('woodgrove')))
    })

    it("refuses HS256 signed with the PEM file's bytes as the HMAC secret", async () => {
      const pemBytes = await readFile(join(started.dir, 'config', 'keys', 'a.pem'))
      const token = await new SignJWT({
        iss: WOODGROVE_ISSUER,
        aud: GATEWAY_AUDIENCE,
        sub: 'attacker',
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new Uint8Array(pemBytes))
      expectSameRefusal(await getUsersWith(token, tenantUrl('woodgrove')))
    })
  })

  describe('gateway tokens on the explicit form', () => {
    it('serves a contoso/directory token on /t/contoso/directory/scim/v2', async () => {
      const token = await started.token('contoso', 'directory')
      expect((await getUsersWith(token, tenantUrl('contoso'))).status).to.equal(200)
    })

    it('refuses a contoso/directory token on another connection of the same tenant', async () => {
      const token = await started.token('contoso', 'directory')
      expectSameRefusal(await getUsersWith(token, tenantUrl('contoso', 'other')))
    })

    it("refuses a contoso/directory token on another tenant's path", async () => {
      const token = await started.token('contoso', 'directory')
      expectSameRefusal(await getUsersWith(token, tenantUrl('fabrikam')))
    })
  })
})
