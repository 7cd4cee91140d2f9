import { expect } from 'chai'
import { runCli } from '../helpers/child-gateway.ts'
import {
  simFault,
  simRequests,
  simState,
  startProducts,
  type ProductGateway,
} from '../helpers/start-products.ts'

interface TresoritState {
  license: { used: number }
  users: { email: string; status: string }[]
}

/**
 * `scim-gateway connector test` as an operator runs it: its own process, on the test
 * gateway's gateway.yaml, tenant folder and database, against the Tresorit simulator.
 */
describe('scim-gateway connector test', function () {
  this.timeout(60_000)
  let products: ProductGateway
  let env: Record<string, string>

  before(async () => {
    products = await startProducts()
    env = {
      ...products.started.childEnv,
      // What the tenant file's `${env:…}` secrets name (start-products.ts).
      TRESORIT_TOKEN: products.tresorit.credential,
      TORII_KEY: products.torii.credential,
      LOG_LEVEL: 'warn',
    }
  })
  after(async () => {
    await products.close()
  })

  const connectorTest = (...args: string[]) =>
    runCli(['connector', 'test', '--tenant', 'demo', ...args], env)

  it('passes the read-only Test Connection and exits 0 with a PASS row', async () => {
    const { code, stdout, stderr } = await connectorTest('--connection', 'tresorit')
    expect(code, stderr).to.equal(0)
    expect(stdout).to.match(/^STEP\s+RESULT\s+MS\s+DETAIL$/m)
    expect(stdout).to.match(/^Test Connection \(read-only\)\s+PASS\s+\d+\s+filter userName eq/m)
    expect(stdout).to.match(/a lookup of a random key in Tresorit found nothing/)
    expect(stdout).to.match(/^PASS: 1 step passed$/m)
    expect(stdout).to.not.match(/FAIL/)
  })

  it('refuses --email without --yes, warning about the invitation, and exits 2', async () => {
    const before = (await simRequests(products.tresorit)).length
    const { code, stdout, stderr } = await connectorTest(
      '--connection',
      'tresorit',
      '--email',
      'nobody@example.com',
    )
    expect(code).to.equal(2)
    expect(stderr).to.match(/may send that address an invitation/)
    expect(stderr).to.match(/--yes/)
    expect(stdout).to.equal('')
    // Refused before anything reached the product.
    expect(await simRequests(products.tresorit)).to.have.length(before)
  })

  it('runs the write cycle with --email and --yes, warns first, and exits 0', async () => {
    const email = 'x@example.com'
    const { code, stdout, stderr } = await connectorTest(
      '--connection',
      'tresorit',
      '--email',
      email,
      '--yes',
    )
    expect(code, `${stdout}\n${stderr}`).to.equal(0)
    expect(stdout).to.match(/may send that address an invitation/)
    expect(stdout).to.match(/Delete policy: remove \(/)
    for (const step of [
      'Test Connection \\(read-only\\)',
      'Create user',
      'Read back by id',
      'Read back by filter',
      'Update name\\.givenName',
      'Deactivate \\(active false\\)',
      'Delete \\(deletePolicy remove\\)',
    ]) {
      expect(stdout).to.match(new RegExp(`^${step}\\s+PASS\\s`, 'm'))
    }
    expect(stdout).to.match(/^PASS: 7 steps passed$/m)
    // Tresorit's `remove`: out of the subscription, the account kept.
    const state = await simState<TresoritState>(products.tresorit)
    expect(state.users.filter((u) => u.email === email).map((u) => u.status)).to.deep.equal([
      'removed',
    ])
  })

  it('exits 1 with a FAIL row when the product refuses the credential', async () => {
    await simFault(products.tresorit, { count: 1, status: 401 })
    const { code, stdout } = await connectorTest('--connection', 'tresorit')
    expect(code).to.equal(1)
    expect(stdout).to.match(/^Test Connection \(read-only\)\s+FAIL\s+\d+\s+.*\(401\)/m)
    expect(stdout).to.match(/^FAIL: Test Connection \(read-only\)$/m)
  })

  it('exits non-zero naming an unknown connection', async () => {
    const { code, stdout, stderr } = await connectorTest('--connection', 'nope')
    expect(code).to.not.equal(0)
    expect(stderr).to.match(/ERR_SELF_TEST: No connection nope in tenant demo/)
    expect(stdout).to.not.match(/PASS/)
  })
})
