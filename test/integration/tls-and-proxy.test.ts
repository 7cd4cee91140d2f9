import { execFileSync } from 'node:child_process'
import { request } from 'node:https'
import { join } from 'node:path'
import { expect } from 'chai'
import { objectOf, scimClient } from '../helpers/scim-client.ts'
import { directoryTenant, startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

/** A self-signed certificate for 127.0.0.1, made for the test with openssl. */
async function makeCertificate() {
  const dir = await mkdtemp(join(tmpdir(), 'scim-gateway-tls-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  return { key, cert, ca: await readFile(cert) }
}

/** Node's fetch cannot take a private CA per call; https.request can. */
function httpsJson(url: string, ca: Buffer, token: string, body?: unknown) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: unknown }>(
    (resolve, reject) => {
      const req = request(
        url,
        {
          method: body ? 'POST' : 'GET',
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body ? { 'content-type': 'application/scim+json' } : {}),
          },
        },
        (res) => {
          let text = ''
          res.on('data', (chunk: Buffer) => (text += chunk.toString()))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text ? (JSON.parse(text) as unknown) : undefined,
            }),
          )
        },
      )
      req.on('error', reject)
      req.end(body ? JSON.stringify(body) : undefined)
    },
  )
}

describe('serving for real IdPs', () => {
  describe('HTTPS from gateway.yaml tls', () => {
    let started: StartedGateway
    let ca: Buffer

    before(async () => {
      const cert = await makeCertificate()
      ca = cert.ca
      started = await startGateway({
        tenants: { demo: directoryTenant('demo') },
        gatewayYaml: `listen: { host: 127.0.0.1, port: 0 }\ntls: { cert: ${cert.cert}, key: ${cert.key} }\n`,
      })
    })
    after(() => started.close())

    it('answers SCIM over HTTPS with https locations, verified against the certificate', async () => {
      const port = (started.server.address() as { port: number }).port
      const token = await started.token('demo', 'directory')
      const created = await httpsJson(`https://127.0.0.1:${port}/scim/v2/Users`, ca, token, {
        schemas: [USER],
        userName: 'tls@example.com',
      })
      expect(created.status).to.equal(201)
      expect(created.headers.location).to.match(
        new RegExp(`^https://127\\.0\\.0\\.1:${port}/scim/v2/Users/`),
      )
      const plain = await fetch(`http://127.0.0.1:${port}/scim/v2/Users`).then(
        () => 'answered',
        () => 'refused',
      )
      expect(plain).to.equal('refused')
    })
  })

  describe('behind a reverse proxy', () => {
    it('uses the forwarded scheme and host in Location and meta.location when trustProxy is set', async () => {
      const started = await startGateway({
        tenants: { demo: directoryTenant('demo') },
        gatewayYaml: 'listen: { host: 127.0.0.1, port: 0 }\ntrustProxy: true\n',
      })
      try {
        const scim = scimClient({
          baseUrl: started.scimUrl,
          token: await started.token('demo', 'directory'),
        })
        const res = await scim.post(
          '/Users',
          { schemas: [USER], userName: 'proxied@example.com' },
          {
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'scim.example.com',
          },
        )
        expect(res.status).to.equal(201)
        const id = objectOf(res).id as string
        expect(res.headers.get('location')).to.equal(`https://scim.example.com/scim/v2/Users/${id}`)
        expect((objectOf(res).meta as Record<string, unknown>).location).to.equal(
          `https://scim.example.com/scim/v2/Users/${id}`,
        )
      } finally {
        await started.close()
      }
    })

    it('ignores forwarded headers when trustProxy is not set', async () => {
      const started = await startGateway({ tenants: { demo: directoryTenant('demo') } })
      try {
        const scim = scimClient({
          baseUrl: started.scimUrl,
          token: await started.token('demo', 'directory'),
        })
        const res = await scim.post(
          '/Users',
          { schemas: [USER], userName: 'direct@example.com' },
          {
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'evil.example.com',
          },
        )
        expect(res.headers.get('location')).to.match(new RegExp(`^${started.scimUrl}/Users/`))
      } finally {
        await started.close()
      }
    })
  })
})
