import { expect } from 'chai'
import { scimClient } from '../helpers/scim-client.ts'
import { USER } from '../helpers/scim-fixtures.ts'
import { ADMIN_TOKEN } from '../helpers/start-gateway.ts'
import { startProducts, type ProductGateway } from '../helpers/start-products.ts'

interface Status {
  tenant: string
  connection: string
  connector: string
  mode: string
  health: string
  misconfigured?: { reason: string }
  credentialExpires?: string
  credentialExpiresInDays?: number
  warnings: string[]
  outbox: { queued: number; dead: number }
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)

describe('connection status (admin API)', () => {
  let products: ProductGateway

  before(async () => {
    products = await startProducts({
      tresorit: { plan: 'business' },
      toriiApiKeyExpires: inDays(10),
    })
  })
  after(() => products.close())

  async function statuses(): Promise<Status[]> {
    const res = await fetch(`${products.started.origin}/admin/api/connections`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(res.status).to.equal(200)
    return ((await res.json()) as { connections: Status[] }).connections
  }

  it('lists every connection with its mode, and warns when an upstream credential expires within 30 days', async () => {
    const all = await statuses()
    expect(all.map((s) => `${s.connection}:${s.mode}`).sort()).to.deep.equal([
      'directory:directory',
      'torii:proxy',
      'tresorit:translate',
    ])
    const torii = all.find((s) => s.connection === 'torii')
    expect(torii?.credentialExpires).to.equal(inDays(10))
    expect(torii?.credentialExpiresInDays).to.be.within(9, 10)
    expect(torii?.warnings.join(' ')).to.match(/Torii credential expires in (9|10) days/)
    expect(all.find((s) => s.connection === 'tresorit')?.warnings).to.deep.equal([])
  })

  it('shows a connection misconfigured once the product refuses its plan, with the reason', async () => {
    const scim = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'tresorit'),
    })
    const res = await scim.post('/Users', { schemas: [USER], userName: 'plan@example.com' })
    expect(res.status).to.equal(502)
    const tresorit = (await statuses()).find((s) => s.connection === 'tresorit')
    expect(tresorit?.health).to.equal('misconfigured')
    expect(tresorit?.misconfigured?.reason).to.match(/Tresorit/)
    expect(JSON.stringify(await statuses())).to.not.include('tresorit-sim-token')
  })
})
