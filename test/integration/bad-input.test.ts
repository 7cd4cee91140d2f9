import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import {
  expectScimError,
  objectOf,
  scimClient,
  type ScimClient,
  type ScimResponse,
} from '../helpers/scim-client.ts'
import { createGroup, createUser, GROUP, patchOf, USER } from '../helpers/scim-fixtures.ts'

/**
 * Bad requests get an RFC 7644 §3.12 error with the right status and scimType, never a 500,
 * and the gateway keeps serving: every case is followed by a request that must succeed.
 */
describe('bad input', () => {
  let started: StartedGateway
  let scim: ScimClient
  let token = ''
  let userId = ''
  let groupId = ''

  before(async () => {
    started = await startGateway()
    token = await started.token('demo', 'directory')
    scim = scimClient({ baseUrl: started.scimUrl, token })
    userId = String((await createUser(scim, 'bad-input@example.com')).id)
    groupId = String((await createGroup(scim, 'Bad Input Group', [userId])).id)
  })
  after(() => started.close())

  /** Asserts the error, then that the gateway still answers a normal request. */
  async function refused(res: ScimResponse, status: number, scimType?: string) {
    expectScimError(res, status, scimType)
    const ok = await scim.get(`/Users/${userId}`)
    expect(ok.status, 'the gateway keeps serving').to.equal(200)
  }

  /** Sends a raw body with a content type of our choosing. */
  function raw(method: string, path: string, body: string, contentType = 'application/scim+json') {
    return fetch(`${started.scimUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    }).then(async (response): Promise<ScimResponse> => {
      const text = await response.text()
      return {
        status: response.status,
        headers: response.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      }
    })
  }

  describe('bodies', () => {
    it('answers malformed JSON with 400 invalidSyntax', async () => {
      await refused(await raw('POST', '/Users', '{"schemas": [ "x", '), 400, 'invalidSyntax')
      await refused(await raw('PATCH', `/Users/${userId}`, '{not json'), 400, 'invalidSyntax')
    })

    it('answers a body that is a JSON array or string with 400 invalidSyntax', async () => {
      await refused(
        await scim.post('/Users', [{ schemas: [USER], userName: 'a' }]),
        400,
        'invalidSyntax',
      )
      await refused(await raw('POST', '/Users', '"just a string"'), 400, 'invalidSyntax')
      await refused(await raw('PUT', `/Users/${userId}`, '42'), 400, 'invalidSyntax')
      await refused(await raw('PATCH', `/Users/${userId}`, 'null'), 400, 'invalidSyntax')
    })

    it('answers wrong attribute types with 400 invalidValue', async () => {
      for (const body of [
        { schemas: [USER], userName: 'types1@example.com', active: 5 },
        { schemas: [USER], userName: 'types2@example.com', emails: 'x' },
        { schemas: [USER], userName: 'types3@example.com', name: 'Ann Smith' },
        { schemas: [USER], userName: 42 },
        { schemas: [GROUP], displayName: 'Typed', members: 'everyone' },
      ]) {
        const path = body.schemas[0] === GROUP ? '/Groups' : '/Users'
        await refused(await scim.post(path, body), 400, 'invalidValue')
      }
    })

    it('answers a missing userName or group displayName with 400 invalidValue', async () => {
      await refused(
        await scim.post('/Users', { schemas: [USER], displayName: 'x' }),
        400,
        'invalidValue',
      )
      await refused(
        await scim.put(`/Users/${userId}`, { schemas: [USER], title: 'no userName' }),
        400,
        'invalidValue',
      )
      await refused(await scim.post('/Groups', { schemas: [GROUP] }), 400, 'invalidValue')
    })

    it('answers an unknown attribute with 400 invalidSyntax', async () => {
      await refused(
        await scim.post('/Users', {
          schemas: [USER],
          userName: 'unknown@example.com',
          shoeSize: 9,
        }),
        400,
        'invalidSyntax',
      )
    })

    it('answers a body over 1 MiB with 413', async () => {
      const big = { schemas: [USER], userName: 'big@example.com', title: 'x'.repeat(1_100_000) }
      await refused(await scim.post('/Users', big), 413)
    })

    it('answers a content type other than SCIM JSON or JSON with 415', async () => {
      const body = JSON.stringify({ schemas: [USER], userName: 'text@example.com' })
      await refused(await raw('POST', '/Users', body, 'text/plain'), 415)
      await refused(await raw('PUT', `/Users/${userId}`, body, 'application/xml'), 415)
      const lookup = await scim.get(
        `/Users?filter=${encodeURIComponent('userName eq "text@example.com"')}`,
      )
      expect(objectOf(lookup).totalResults).to.equal(0)
    })
  })

  describe('PATCH requests', () => {
    const patchUser = (body: unknown) => scim.patch(`/Users/${userId}`, body)

    it('answers an unknown op with 400 (invalidSyntax or invalidValue)', async () => {
      const res = await patchUser(patchOf({ op: 'move', path: 'title', value: 'x' }))
      expect(res.status).to.equal(400)
      expect(objectOf(res).scimType).to.be.oneOf(['invalidSyntax', 'invalidValue'])
      await refused(res, 400, String(objectOf(res).scimType))
    })

    it('answers an unknown or malformed path with 400 invalidPath', async () => {
      for (const path of [
        'shoeSize',
        'name.nope',
        'emails[type eq "work"',
        'emails[',
        '..',
        'urn:x:y:z',
      ]) {
        await refused(
          await patchUser(patchOf({ op: 'replace', path, value: 'x' })),
          400,
          'invalidPath',
        )
      }
    })

    it('answers remove without a path with 400 noTarget', async () => {
      await refused(await patchUser(patchOf({ op: 'remove' })), 400, 'noTarget')
    })

    it('answers a body without the PatchOp schema, or with no Operations, with 400 invalidSyntax', async () => {
      await refused(
        await patchUser({ Operations: [{ op: 'replace', path: 'title', value: 'x' }] }),
        400,
        'invalidSyntax',
      )
      await refused(await patchUser(patchOf()), 400, 'invalidSyntax')
      await refused(
        await patchUser({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }),
        400,
        'invalidSyntax',
      )
    })

    it('answers a PATCH of a read-only attribute with 400 mutability', async () => {
      await refused(
        await patchUser(patchOf({ op: 'replace', path: 'id', value: 'mine' })),
        400,
        'mutability',
      )
      await refused(
        await patchUser(
          patchOf({ op: 'replace', path: 'meta.created', value: '2000-01-01T00:00:00Z' }),
        ),
        400,
        'mutability',
      )
    })

    it('leaves the resource unchanged when one operation of several fails', async () => {
      const before = objectOf(await scim.get(`/Users/${userId}`))
      await refused(
        await patchUser(
          patchOf(
            { op: 'replace', path: 'title', value: 'Should not stick' },
            { op: 'replace', path: 'noSuchAttribute', value: 'x' },
          ),
        ),
        400,
        'invalidPath',
      )
      expect(objectOf(await scim.get(`/Users/${userId}`))).to.deep.equal(before)
    })
  })

  describe('uniqueness', () => {
    it('answers a duplicate userName (in any case) with 409 uniqueness, on POST, PUT and PATCH', async () => {
      const other = String((await createUser(scim, 'unique-other@example.com')).id)
      await refused(
        await scim.post('/Users', { schemas: [USER], userName: 'BAD-INPUT@example.com' }),
        409,
        'uniqueness',
      )
      await refused(
        await scim.put(`/Users/${other}`, { schemas: [USER], userName: 'bad-input@example.com' }),
        409,
        'uniqueness',
      )
      await refused(
        await scim.patch(
          `/Users/${other}`,
          patchOf({ op: 'replace', path: 'userName', value: 'Bad-Input@Example.com' }),
        ),
        409,
        'uniqueness',
      )
      expect(objectOf(await scim.get(`/Users/${other}`)).userName).to.equal(
        'unique-other@example.com',
      )
    })

    it('answers a duplicate group displayName with 409 uniqueness', async () => {
      await refused(
        await scim.post('/Groups', { schemas: [GROUP], displayName: 'bad input group' }),
        409,
        'uniqueness',
      )
    })
  })

  describe('unknown ids', () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    for (const type of ['Users', 'Groups']) {
      it(`answers 404 on every verb for an unknown ${type} id`, async () => {
        const body =
          type === 'Users'
            ? { schemas: [USER], userName: 'ghost@example.com' }
            : { schemas: [GROUP], displayName: 'Ghost' }
        await refused(await scim.get(`/${type}/${missing}`), 404)
        await refused(await scim.put(`/${type}/${missing}`, body), 404)
        await refused(
          await scim.patch(
            `/${type}/${missing}`,
            patchOf({ op: 'add', path: 'externalId', value: 'x' }),
          ),
          404,
        )
        await refused(await scim.delete(`/${type}/${missing}`), 404)
      })
    }

    it('answers 404 for a user id used as a group id and the other way round', async () => {
      await refused(await scim.get(`/Groups/${userId}`), 404)
      await refused(await scim.get(`/Users/${groupId}`), 404)
      await refused(await scim.delete(`/Groups/${userId}`), 404)
    })

    it('answers 404 for an unknown endpoint', async () => {
      await refused(await scim.get('/Devices'), 404)
    })
  })

  describe('list parameters', () => {
    it('answers count=abc with 400 invalidValue', async () => {
      await refused(await scim.get('/Users?count=abc'), 400, 'invalidValue')
    })

    it('answers an invalid filter with 400 invalidFilter', async () => {
      await refused(
        await scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`),
        400,
        'invalidFilter',
      )
      await refused(
        await scim.get(`/Users?filter=${encodeURIComponent('x'.repeat(5000))}`),
        400,
        'invalidFilter',
      )
    })
  })
})
