import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import { startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { objectOf, scimClient, type ScimClient } from '../helpers/scim-client.ts'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

/** Entra ID's provisioning cycle, as Microsoft's SCIM tutorial documents it, in both PATCH dialects. */
for (const flagged of [false, true]) {
  describe(`Entra ID provisioning cycle ${flagged ? 'with' : 'without'} aadOptscim062020`, () => {
    let started: StartedGateway
    let scim: ScimClient
    const patch = (ops: unknown[]) => ({ schemas: [PATCH_OP], Operations: ops })
    // Without the flag Entra capitalises ops and sends booleans as strings.
    const op = (name: 'add' | 'replace' | 'remove') =>
      flagged ? name : name[0]?.toUpperCase() + name.slice(1)
    const bool = (value: boolean) => (flagged ? value : value ? 'True' : 'False')
    let userId = ''
    let managerId = ''
    let groupId = ''

    before(async () => {
      started = await startGateway()
      scim = scimClient({
        baseUrl: started.scimUrl,
        token: await started.token('demo', 'directory'),
        ...(flagged ? { query: 'aadOptscim062020' } : {}),
      })
    })
    after(() => started.close())

    it('answers Test Connection (a random GUID userName) with 200 and an empty ListResponse', async () => {
      const res = await scim.get(
        `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`,
      )
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.match(/^application\/scim\+json/)
      expect(res.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 0,
        itemsPerPage: 0,
        startIndex: 1,
        Resources: [],
      })
    })

    it('looks a user up, finds none, and creates it (201, Location, booleans from strings, nulls dropped)', async () => {
      const lookup = await scim.get(
        `/Users?filter=${encodeURIComponent('userName eq "Test_User_ab6490ee@contoso.com"')}`,
      )
      expect(objectOf(lookup).totalResults).to.equal(0)
      const manager = await scim.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'Manager_1@contoso.com',
        active: bool(true),
      })
      expect(manager.status).to.equal(201)
      managerId = objectOf(manager).id as string

      const res = await scim.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', `${ENTERPRISE}`],
        externalId: 'jyoung',
        userName: 'Test_User_ab6490ee@contoso.com',
        active: bool(true),
        addresses: null,
        displayName: 'Test User',
        emails: [{ primary: bool(true), type: 'work', value: 'Test_User_fd0ea19b@contoso.com' }],
        meta: { resourceType: 'User' },
        name: { familyName: 'User', givenName: 'Test' },
        phoneNumbers: null,
        title: null,
        roles: [],
        [ENTERPRISE]: { employeeNumber: '1234', department: 'Sales', manager: null },
      })
      expect(res.status).to.equal(201)
      const user = objectOf(res)
      userId = user.id as string
      expect(userId).to.be.a('string').and.not.empty
      expect(res.headers.get('location')).to.equal(`${started.scimUrl}/Users/${userId}`)
      expect(user.active).to.equal(true)
      expect(user.emails).to.deep.equal([
        { primary: true, type: 'work', value: 'Test_User_fd0ea19b@contoso.com' },
      ])
      expect(user).to.not.have.property('title')
      expect(user).to.not.have.property('addresses')
      expect(user.schemas).to.include(ENTERPRISE)
      expect(user[ENTERPRISE]).to.deep.equal({ employeeNumber: '1234', department: 'Sales' })
      const meta = user.meta as Record<string, unknown>
      expect(meta.resourceType).to.equal('User')
      expect(meta.location).to.equal(`${started.scimUrl}/Users/${userId}`)
      expect(res.headers.get('etag')).to.equal(meta.version)
    })

    it('finds the user by userName in any case, by unquoted externalId, and by work email', async () => {
      for (const filter of [
        'userName eq "test_user_AB6490EE@contoso.com"',
        'externalId eq jyoung',
        'emails[type eq "work"].value eq "Test_User_fd0ea19b@contoso.com"',
      ]) {
        const res = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`)
        const list = objectOf(res)
        expect(list.totalResults, filter).to.equal(1)
        expect((list.Resources as { id: string }[])[0]?.id).to.equal(userId)
      }
    })

    it('applies attribute updates, the enterprise extension and the manager', async () => {
      const ops = flagged
        ? [
            {
              op: 'replace',
              value: {
                displayName: 'Tess User',
                'name.givenName': 'Tess',
                [`${ENTERPRISE}:department`]: 'Engineering',
              },
            },
            { op: 'replace', path: 'emails[type eq "work"].value', value: 'tess@contoso.com' },
            { op: 'add', path: 'nickName', value: 'Babs' },
            {
              op: 'add',
              path: `${ENTERPRISE}:manager`,
              value: [{ $ref: `${started.scimUrl}/Users/${managerId}`, value: managerId }],
            },
          ]
        : [
            { op: 'Replace', path: 'displayName', value: 'Tess User' },
            { op: 'Replace', path: 'name.givenName', value: 'Tess' },
            { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Engineering' },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: 'tess@contoso.com' },
            { op: 'Add', path: 'nickName', value: 'Babs' },
            { op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: managerId }] },
          ]
      const res = await scim.patch(`/Users/${userId}`, patch(ops))
      expect(res.status).to.be.oneOf([200, 204])
      const user = objectOf(await scim.get(`/Users/${userId}`))
      expect(user.displayName).to.equal('Tess User')
      expect(user.nickName).to.equal('Babs')
      expect(user.name).to.deep.equal({ familyName: 'User', givenName: 'Tess' })
      expect(user.emails).to.deep.equal([
        { primary: true, type: 'work', value: 'tess@contoso.com' },
      ])
      const enterprise = user[ENTERPRISE] as Record<string, unknown>
      expect(enterprise.department).to.equal('Engineering')
      expect((enterprise.manager as Record<string, unknown>).value).to.equal(managerId)
    })

    it('soft-deletes with active false (the user is still returned) and restores it', async () => {
      const off = await scim.patch(
        `/Users/${userId}`,
        patch([{ op: op('replace'), path: 'active', value: bool(false) }]),
      )
      expect(off.status).to.be.oneOf([200, 204])
      const inactive = objectOf(await scim.get(`/Users/${userId}`))
      expect(inactive.active).to.equal(false)
      const listed = objectOf(
        await scim.get(
          `/Users?filter=${encodeURIComponent('userName eq "Test_User_ab6490ee@contoso.com"')}`,
        ),
      )
      expect(listed.totalResults).to.equal(1)
      await scim.patch(
        `/Users/${userId}`,
        patch([{ op: op('replace'), path: 'active', value: bool(true) }]),
      )
      expect(objectOf(await scim.get(`/Users/${userId}`)).active).to.equal(true)
    })

    it('creates a group without members, then adds several members in one PATCH (204)', async () => {
      const res = await scim.post('/Groups', {
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Group1DisplayName',
        meta: { resourceType: 'Group' },
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:Group',
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
        ],
      })
      expect(res.status).to.equal(201)
      const group = objectOf(res)
      groupId = group.id as string
      expect(group.members ?? []).to.deep.equal([])
      const found = objectOf(
        await scim.get(
          `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Group1DisplayName"')}`,
        ),
      )
      expect(found.totalResults).to.equal(1)
      const first = (found.Resources as Record<string, unknown>[])[0]
      expect(first?.id).to.equal(groupId)
      expect(first).to.not.have.property('members')

      const add = await scim.patch(
        `/Groups/${groupId}`,
        patch([
          {
            op: op('add'),
            path: 'members',
            value: [
              { $ref: null, value: userId },
              { $ref: null, value: managerId },
            ],
          },
        ]),
      )
      expect(add.status).to.equal(204)
      const withMembers = objectOf(await scim.get(`/Groups/${groupId}`))
      expect((withMembers.members as { value: string }[]).map((m) => m.value).sort()).to.deep.equal(
        [userId, managerId].sort(),
      )
      const user = objectOf(await scim.get(`/Users/${userId}`))
      expect(user.groups).to.deep.equal([
        { value: groupId, type: 'direct', display: 'Group1DisplayName' },
      ])
    })

    it('removes exactly one member in this dialect, and renames the group', async () => {
      const remove = flagged
        ? { op: 'remove', path: `members[value eq "${managerId}"]` }
        : { op: 'Remove', path: 'members', value: [{ value: managerId }] }
      expect((await scim.patch(`/Groups/${groupId}`, patch([remove]))).status).to.equal(204)
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect((group.members as { value: string }[]).map((m) => m.value)).to.deep.equal([userId])

      const rename = await scim.patch(
        `/Groups/${groupId}`,
        patch([{ op: op('replace'), path: 'displayName', value: 'Renamed' }]),
      )
      expect(rename.status).to.equal(204)
      expect(
        objectOf(await scim.get(`/Groups/${groupId}?excludedAttributes=members`)).displayName,
      ).to.equal('Renamed')
    })

    it('hard-deletes the user (204, then 404) and the group', async () => {
      expect((await scim.delete(`/Users/${userId}`)).status).to.equal(204)
      expect((await scim.get(`/Users/${userId}`)).status).to.equal(404)
      const group = objectOf(await scim.get(`/Groups/${groupId}`))
      expect(group.members ?? []).to.deep.equal([])
      expect((await scim.delete(`/Groups/${groupId}`)).status).to.equal(204)
      expect((await scim.get(`/Groups/${groupId}`)).status).to.equal(404)
    })
  })
}
