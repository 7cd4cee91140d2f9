import { Writable } from 'node:stream'
import { expect } from 'chai'
import { createLogger } from '../../src/log.ts'
import { hashToken } from '../../src/tenancy/tokens.ts'
import { scimClient } from '../helpers/scim-client.ts'
import { directoryTenant, startGateway } from '../helpers/start-gateway.ts'

describe('logs', () => {
  it('record each request with tenant and status, and never a token, its hash, a password or an upstream secret', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const secret = 'upstream-secret-value-123'
    const started = await startGateway({
      tenants: {
        demo: `${directoryTenant('demo')}    secrets: { apiKey: "\${env:DEMO_KEY}" }\n`,
      },
      env: { DEMO_KEY: secret },
      log: createLogger({ level: 'debug', destination: sink }),
    })
    const token = await started.token('demo', 'directory')
    try {
      const scim = scimClient({ baseUrl: started.scimUrl, token })
      await scim.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'logged@example.com',
        password: 'Sup3rSecret!',
      })
      await fetch(`${started.scimUrl}/Users`, { headers: { authorization: `Bearer ${token}x` } })
      await fetch(`${started.origin}/admin/api/config`, {
        headers: { authorization: `Bearer wrong-admin` },
      })
      await fetch(`${started.origin}/admin/api/config/reload`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-admin-credential' },
      })
    } finally {
      await started.close()
    }
    const text = lines.join('')
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const requests = entries.filter((e) => e.msg === 'request')
    expect(requests.some((e) => e.tenant === 'demo' && e.status === 201)).to.equal(true)
    expect(requests.some((e) => e.status === 401)).to.equal(true)
    for (const forbidden of [
      'scgw_',
      'Sup3rSecret',
      secret,
      'test-admin-credential',
      'wrong-admin',
      'Bearer',
    ]) {
      expect(text, forbidden).to.not.include(forbidden)
    }
    expect(text).to.not.include(hashToken(token))
  })
})
