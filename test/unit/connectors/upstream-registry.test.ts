import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { expect } from 'chai'
import { Secret } from '../../../src/config/secret.ts'
import type { ConnectionConfig } from '../../../src/config/tenant-config.ts'
import { loadProfiles, type ConnectorProfile } from '../../../src/connectors/profile.ts'
import { requireSuccess } from '../../../src/connectors/upstream-client.ts'
import { UpstreamFailure } from '../../../src/connectors/upstream-errors.ts'
import { createUpstreamRegistry } from '../../../src/connectors/upstream-registry.ts'

describe('connectors/upstream-registry', () => {
  let server: Server
  let baseUrl = ''
  let profile: ConnectorProfile

  before(async () => {
    const loaded = await loadProfiles(join(import.meta.dirname, '..', '..', '..', 'connectors'))
    if (!loaded.ok) throw new Error('profiles did not load')
    profile = loaded.profiles.get('tresorit') as ConnectorProfile
    // A product that echoes the credential it was sent in its error message.
    server = createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          errorCode: 'bad_request',
          message: `rejected ${req.headers.authorization ?? ''}`,
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise((resolve) => server.close(resolve)))

  it('never puts the connection credential in an error detail, even when the product echoes it', async () => {
    const registry = createUpstreamRegistry({
      now: Date.now,
      sleep: () => Promise.resolve(),
      maxRetryWaitMs: 0,
    })
    const connection: ConnectionConfig = {
      connector: 'tresorit',
      baseUrl,
      secrets: { apiToken: new Secret('SECRET-TOKEN-123456') },
      settings: {},
    }
    const client = registry.clientFor('demo/tresorit', profile, connection)
    const response = await client.send({ method: 'GET', path: '/users/x', idempotent: true }, [])
    let detail = ''
    try {
      requireSuccess(client, response, client.describeError, 'user')
    } catch (err) {
      expect(err).to.be.instanceOf(UpstreamFailure)
      detail = (err as UpstreamFailure).scimError.detail
    }
    expect(detail).to.include('bad_request')
    expect(detail).to.include('[redacted]')
    expect(detail).to.not.include('SECRET-TOKEN-123456')
    registry.close()
  })
})
