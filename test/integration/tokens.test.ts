import { expect } from 'chai'
import { hashToken } from '../../src/tenancy/tokens.ts'
import { runCli, startChildGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import { expectScimError, objectOf, scimClient } from '../helpers/scim-client.ts'
import { ADMIN_TOKEN, startGateway, type StartedGateway } from '../helpers/start-gateway.ts'

const admin = (started: StartedGateway, method: string, path: string, body?: unknown) =>
  fetch(`${started.origin}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })

/** Polls (bounded) until `check` holds; returns how many attempts it took, or fails. */
async function eventually(check: () => Promise<boolean>, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  expect.fail(`condition not met within ${limitMs} ms`)
}

const status = async (url: string, token: string) =>
  (await fetch(`${url}/Users?count=1`, { headers: { authorization: `Bearer ${token}` } })).status

describe('gateway tokens', () => {
  let started: StartedGateway
  let child: ChildGateway | undefined

  before(async () => {
    started = await startGateway()
  })
  after(async () => {
    await child?.stop()
    await started.close()
  })

  it('issues a token through the admin API, shown once and stored only as a hash', async () => {
    const res = await admin(started, 'POST', '/tokens', {
      tenant: 'demo',
      connection: 'directory',
      label: 'entra',
    })
    expect(res.status).to.equal(201)
    const issued = (await res.json()) as Record<string, unknown>
    const token = issued.token as string
    expect(token).to.match(/^scgw_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/)
    const rows = (await started.gateway.db('tokens').where({ id: issued.id })) as Record<
      string,
      unknown
    >[]
    expect(rows[0]?.hash).to.equal(hashToken(token))
    expect(JSON.stringify(rows)).to.not.include(token.slice(14))
    const listed = await (await admin(started, 'GET', '/tokens?tenant=demo')).text()
    expect(listed).to.include(String(issued.id))
    expect(listed).to.not.include(token.slice(14))
    expect(listed).to.not.include(hashToken(token))
    expect(await status(started.scimUrl, token)).to.equal(200)
  })

  it('refuses token requests for connections that do not exist, and without the admin credential', async () => {
    const res = await admin(started, 'POST', '/tokens', {
      tenant: 'nobody',
      connection: 'directory',
    })
    expect(res.status).to.equal(400)
    const anonymous = await fetch(`${started.origin}/admin/api/tokens`)
    expect(anonymous.status).to.equal(401)
    const wrong = await fetch(`${started.origin}/admin/api/tokens`, {
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.status).to.equal(401)
  })

  it('answers missing, malformed, unknown and tampered tokens with the same 401', async () => {
    const good = await started.token('demo', 'directory')
    const tampered = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A')
    const bodies: string[] = []
    for (const header of [
      undefined,
      'Bearer',
      'Basic abc',
      'Bearer not-a-token',
      `Bearer ${tampered}`,
      `Bearer scgw_AAAAAAAA_${'A'.repeat(43)}`,
    ]) {
      const res = await fetch(`${started.scimUrl}/Users`, {
        headers: header ? { authorization: header } : {},
      })
      expect(res.status, header).to.equal(401)
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer/)
      bodies.push(await res.text())
    }
    expect(new Set(bodies).size).to.equal(1)
  })

  it('refuses an expired token', async () => {
    const { token, record } = await import('../../src/tenancy/tokens.ts').then((m) =>
      m.issueToken(started.gateway.tokens, {
        tenant: 'demo',
        connection: 'directory',
        now: new Date(Date.now() - 10_000),
        expiresAt: new Date(Date.now() - 1_000),
      }),
    )
    expect(record.expiresAt).to.be.a('string')
    expectScimError(await scimClient({ baseUrl: started.scimUrl, token }).get('/Users'), 401)
  })

  it('keeps the IdP working through a rotation: two live tokens, then the old one revoked', async () => {
    const oldToken = await started.token('demo', 'directory')
    const created = await scimClient({ baseUrl: started.scimUrl, token: oldToken }).post('/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'rotating@example.com',
    })
    expect(created.status).to.equal(201)
    const newToken = await started.token('demo', 'directory')
    expect(await status(started.scimUrl, oldToken)).to.equal(200)
    expect(await status(started.scimUrl, newToken)).to.equal(200)
    const oldId = (await started.gateway.tokens.list({ tenant: 'demo' })).find(
      (t) => t.hash === hashToken(oldToken),
    )?.id
    expect((await admin(started, 'DELETE', `/tokens/${oldId}`)).status).to.equal(204)
    await eventually(async () => (await status(started.scimUrl, oldToken)) === 401, 5_000)
    const read = await scimClient({ baseUrl: started.scimUrl, token: newToken }).get(
      `/Users/${objectOf(created).id as string}`,
    )
    expect(read.status).to.equal(200)
  })

  it('records when a token was last used', async () => {
    const token = await started.token('demo', 'directory')
    const before = (await started.gateway.tokens.list({ tenant: 'demo' })).find(
      (t) => t.hash === hashToken(token),
    )
    expect(before?.lastUsedAt).to.equal(null)
    expect(await status(started.scimUrl, token)).to.equal(200)
    const after = (await started.gateway.tokens.list({ tenant: 'demo' })).find(
      (t) => t.hash === hashToken(token),
    )
    expect(after?.lastUsedAt).to.be.a('string')
  })

  it('stops a token revoked by the CLI within 5 seconds in another gateway process', async function () {
    this.timeout(60_000)
    child = await startChildGateway(started.childEnv)
    const token = await started.token('demo', 'directory')
    expect(await status(child.scimUrl, token)).to.equal(200)
    expect(await status(started.scimUrl, token)).to.equal(200)
    const id =
      (await started.gateway.tokens.list({ tenant: 'demo' })).find(
        (t) => t.hash === hashToken(token),
      )?.id ?? ''
    const revoked = await runCli(['token', 'revoke', id], started.childEnv)
    expect(revoked.code, revoked.stderr).to.equal(0)
    const revokedAt = Date.now()
    await eventually(async () => (await status(child!.scimUrl, token)) === 401, 5_000)
    await eventually(
      async () => (await status(started.scimUrl, token)) === 401,
      Math.max(1, 5_000 - (Date.now() - revokedAt)),
    )
    const listed = await runCli(['token', 'list', '--tenant', 'demo'], started.childEnv)
    expect(listed.stdout).to.include(`${id}  demo/directory  revoked`)
    expect(listed.stdout).to.not.include(token.slice(14))
  })
})
