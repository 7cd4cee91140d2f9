import { rm } from 'node:fs/promises'
import { expect } from 'chai'
import { eventually, inviteAccepted, writeTresoritProfile } from '../helpers/outbox-fixtures.ts'
import { simFault, startProducts, type ProductGateway } from '../helpers/start-products.ts'

const LISTEN = 'listen: { host: 127.0.0.1, port: 0 }\n'

describe('outbox: a quarantined connection', () => {
  let products: ProductGateway
  let profiles: string

  before(async () => {
    // One failure quarantines the connection for longer than the test runs.
    profiles = await writeTresoritProfile({
      breaker: { failureThreshold: 1, cooldownSeconds: 120 },
    })
    products = await startProducts({
      gatewayYaml: `${LISTEN}connectors: ${profiles}\noutbox: { pollMs: 50, maxAttempts: 1 }\n`,
    })
  })
  after(async () => {
    await products.close()
    await rm(profiles, { recursive: true, force: true })
  })

  it('keeps jobs waiting, not dead, while the connection is quarantined: no attempt reached the product', async () => {
    const { outbox, events } = products.started.gateway
    await inviteAccepted(products.tresorit, 'a@example.com')
    await inviteAccepted(products.tresorit, 'b@example.com')
    const now = () => new Date().toISOString()
    const patch = (email: string) => ({
      connectionKey: 'demo/tresorit',
      kind: 'native-update',
      resource: `User:${email}`,
      payload: { method: 'PATCH', path: `/users/${email}`, body: { status: 'suspended' } },
    })
    await simFault(products.tresorit, { count: 1, status: 503 })
    const failing = await outbox.enqueue(patch('a@example.com'), now())
    // maxAttempts 1: the job the product refused with 503 is dead at once, and the breaker opens.
    await eventually('the refused job dead', async () =>
      (await outbox.get(failing ?? 0))?.state === 'dead' ? true : undefined,
    )
    const waiting = await outbox.enqueue(patch('b@example.com'), now())
    await eventually('the waiting job held back', async () => {
      const held = (await events.list({ tenant: 'demo', connection: 'tresorit', limit: 20 })).find(
        (e) => e.resourceId === String(waiting) && e.outcome === 'retrying',
      )
      return held ? held : undefined
    })
    const job = await outbox.get(waiting ?? 0)
    expect(job?.state).to.equal('queued')
    expect(job?.attempts).to.equal(0)
    expect(job?.lastError).to.match(/quarantined/)
  })
})
