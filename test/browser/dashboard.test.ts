import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core'
import { scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { GROUP, USER, createUser } from '../helpers/scim-fixtures.ts'
import { ADMIN_TOKEN } from '../helpers/start-gateway.ts'
import { simFault, startProducts, type ProductGateway } from '../helpers/start-products.ts'

const CHROMIUM = '/usr/bin/chromium'
const CONNECTORS = join(import.meta.dirname, '..', '..', 'connectors')
const OUTPUT = join(import.meta.dirname, '..', '..', 'test-output')
const TRESORIT = 'demo/tresorit'
const LAPTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
const HOSTILE = {
  img: '<img src=x onerror=alert(1)>',
  bold: '<b>x</b>@example.com',
  script: '<script>alert(2)</script>',
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One attribute of every element a locator matches, in document order. */
async function attributesOf(locator: Locator, name: string): Promise<string[]> {
  const values: string[] = []
  for (const element of await locator.all()) values.push((await element.getAttribute(name)) ?? '')
  return values
}

/** The shipped Tresorit profile with a 1 s timeout and a breaker (4 failures, 2 s); Torii's beside it. */
async function writeProfiles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-profiles-'))
  const shipped = await readFile(join(CONNECTORS, 'tresorit.yaml'), 'utf8')
  const fast = shipped.replace('timeoutMs: 10000', 'timeoutMs: 1000')
  expect(fast, 'the shipped profile names timeoutMs: 10000').to.not.equal(shipped)
  await writeFile(
    join(dir, 'tresorit.yaml'),
    `${fast}breaker: { failureThreshold: 4, cooldownSeconds: 2 }\n`,
  )
  await copyFile(join(CONNECTORS, 'torii.yaml'), join(dir, 'torii.yaml'))
  return dir
}

describe('admin dashboard in a browser', function () {
  this.timeout(180_000)

  let profiles = ''
  let products: ProductGateway | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let page: Page
  let origin = ''
  let tresorit: ScimClient
  let directory: ScimClient
  const dialogs: string[] = []
  const pageErrors: string[] = []
  let serial = 0

  const gateway = () => {
    if (!products) throw new Error('products not started')
    return products
  }
  const card = (key: string) => page.locator(`section.card[data-connection="${key}"]`)
  const healthOf = async (key: string) => card(key).getAttribute('data-health')

  /** Reloads the overview until the card's health is one of `wanted` (bounded). */
  async function reloadUntilHealth(key: string, wanted: string[], ms = 30_000): Promise<string> {
    const deadline = Date.now() + ms
    for (;;) {
      await page.reload()
      const health = (await healthOf(key)) ?? ''
      if (wanted.includes(health)) return health
      if (Date.now() > deadline)
        throw new Error(`${key} stayed ${health}; wanted ${wanted.join(' or ')}`)
      await sleep(250)
    }
  }

  async function provision(client: ScimClient, prefix: string) {
    serial += 1
    return client.post('/Users', { schemas: [USER], userName: `${prefix}-${serial}@example.com` })
  }

  /** A context of the same size class, signed in with the current session's cookie. */
  async function contextLike(size: { width: number; height: number }, phone = false) {
    if (!browser) throw new Error('browser not started')
    return browser.newContext({
      viewport: size,
      ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      storageState: await context.storageState(),
    })
  }

  async function screenshots(path: string, name: string) {
    await page.screenshot({ path: join(OUTPUT, `${name}-laptop.png`), fullPage: true })
    const phone = await contextLike(PHONE, true)
    try {
      const small = await phone.newPage()
      await small.goto(`${origin}${path}`)
      expect(await small.locator('section.card').count()).to.be.above(0)
      // Wide content (the log table) scrolls inside its own box, not the whole page.
      const overflow = await small.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )
      expect(overflow, `${name} scrolls sideways on a phone`).to.be.at.most(0)
      await small.screenshot({ path: join(OUTPUT, `${name}-phone.png`), fullPage: true })
    } finally {
      await phone.close()
    }
  }

  before(async () => {
    // .ci/run installs Debian's Chromium; without it these tests fail rather than hide.
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install -y chromium`)
    await mkdir(OUTPUT, { recursive: true })
    profiles = await writeProfiles()
    products = await startProducts({
      gatewayYaml: `listen: { host: 127.0.0.1, port: 0 }\nconnectors: ${profiles}\n`,
    })
    origin = products.started.origin
    tresorit = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'tresorit'),
    })
    directory = scimClient({
      baseUrl: products.started.scimUrl,
      token: await products.started.token('demo', 'directory'),
    })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 60_000,
    })
    context = await browser.newContext({ viewport: LAPTOP })
    context.setDefaultTimeout(15_000)
    context.setDefaultNavigationTimeout(20_000)
    page = await context.newPage()
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`)
      void dialog.dismiss()
    })
    page.on('pageerror', (err) => pageErrors.push(err.message))
  })

  after(async () => {
    await browser?.close()
    await products?.close()
    if (profiles) await rm(profiles, { recursive: true, force: true })
  })

  afterEach(() => {
    expect(dialogs, 'dialogs opened').to.deep.equal([])
    expect(pageErrors, 'script errors').to.deep.equal([])
  })

  it('sends a visitor to the login page and shows the error for a wrong credential', async () => {
    await page.goto(`${origin}/admin`)
    expect(new URL(page.url()).pathname).to.equal('/admin/login')
    await page.fill('input[name="token"]', 'not-the-credential')
    const [answer] = await Promise.all([
      page.waitForResponse(
        (r) => r.url().endsWith('/admin/login') && r.request().method() === 'POST',
      ),
      page.click('button:has-text("Sign in")'),
    ])
    expect(answer.status()).to.equal(401)
    await page.waitForLoadState()
    expect(await page.locator('p.fail').textContent()).to.equal('Wrong admin credential.')
    expect(await page.locator('input[name="token"]').count()).to.equal(1)
    expect((await context.cookies()).map((c) => c.name)).to.not.include('scgw_admin')
  })

  it("signs in through the form and lists the demo tenant's connections, before any traffic", async () => {
    await page.fill('input[name="token"]', ADMIN_TOKEN)
    await Promise.all([
      page.waitForURL(`${origin}/admin`),
      page.click('button:has-text("Sign in")'),
    ])
    const keys = await attributesOf(page.locator('section.card'), 'data-connection')
    expect([...keys].sort()).to.deep.equal(['demo/directory', 'demo/torii', TRESORIT])
    // No traffic yet: idle.
    expect(await healthOf(TRESORIT)).to.equal('idle')
    expect(await card(TRESORIT).locator('.state').textContent()).to.equal(await healthOf(TRESORIT))
    expect(await card(TRESORIT).locator('dd').first().textContent()).to.equal('0 ops')
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).to.equal('15')

    const [session] = (await context.cookies()).filter((c) => c.name === 'scgw_admin')
    expect(session?.httpOnly).to.equal(true)
    expect(session?.sameSite).to.equal('Strict')
    expect(session?.path).to.equal('/admin')
    // HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate<string>('document.cookie')).to.not.include('scgw_admin')
  })

  it('shows tresorit healthy after one successful create', async () => {
    expect((await provision(tresorit, 'first')).status).to.equal(201)
    expect(await reloadUntilHealth(TRESORIT, ['healthy'])).to.equal('healthy')
    expect(await card(TRESORIT).textContent()).to.include('first-1@example.com')
  })

  it('shows tresorit degraded or quarantined while the product answers 503', async () => {
    await simFault(gateway().tresorit, { status: 503, count: 50 })
    // A create is not retried, so each is one failure; the 4th opens the breaker.
    for (let i = 0; i < 4; i++) {
      const res = await provision(tresorit, 'failing')
      expect(res.status, JSON.stringify(res.body)).to.equal(502)
    }
    const health = await reloadUntilHealth(TRESORIT, ['degraded', 'quarantined'])
    expect(['degraded', 'quarantined']).to.include(health)
    const failure = await card(TRESORIT).locator('dd.fail').textContent()
    expect(failure).to.match(/failing-\d+@example\.com/)
    expect(failure).to.match(/Tresorit failed \(503\)/)
    await screenshots('/admin', 'dashboard-overview')
  })

  it('opens the connection page and finds the failed creates with their reason in the log', async () => {
    await Promise.all([
      page.waitForURL(`${origin}/admin/t/demo/tresorit`),
      card(TRESORIT).locator('h2 a').click(),
    ])
    expect(await page.locator('tbody tr[data-outcome]').count()).to.be.at.least(5)
    await page.selectOption('select[name="outcome"]', 'failed')
    await Promise.all([
      page.waitForURL(/[?&]outcome=failed(&|$)/),
      page.click('form.filters button'),
    ])
    const rows = page.locator('tbody tr[data-outcome]')
    const outcomes = await attributesOf(rows, 'data-outcome')
    expect(outcomes.length).to.be.at.least(4)
    expect(new Set(outcomes)).to.deep.equal(new Set(['failed']))
    const texts = await rows.allTextContents()
    for (const text of texts.slice(0, 4)) {
      expect(text).to.match(/failing-\d+@example\.com/)
      expect(text).to.include('Tresorit failed (503)')
      expect(text).to.match(/POST \/users\/invite 503/)
    }
    expect(await page.locator('select[name="outcome"]').inputValue()).to.equal('failed')
    await screenshots('/admin/t/demo/tresorit?outcome=failed', 'dashboard-connection')
  })

  it('shows tresorit healthy again once the faults clear, the cooldown passes and provisioning resumes', async () => {
    const res = await fetch(`${gateway().tresorit.url}/_sim/faults`, { method: 'DELETE' })
    expect(res.status).to.equal(204)
    const upstream = gateway().started.gateway.upstream
    for (
      const deadline = Date.now() + 10_000;
      upstream.health(TRESORIT)?.breaker.state() === 'open';
    ) {
      if (Date.now() > deadline) throw new Error('the breaker stayed open')
      await sleep(100)
    }
    // The first create is the half-open probe: it closes the breaker.
    const probe = await provision(tresorit, 'recovered')
    expect(probe.status, JSON.stringify(probe.body)).to.equal(201)
    await page.goto(`${origin}/admin`)
    expect(await healthOf(TRESORIT)).to.be.oneOf(['degraded', 'healthy'])
    // Degraded holds while failures are a quarter or more of the last hour's operations: more
    // successful provisioning brings the share down (bounded).
    for (let i = 0; i < 40 && (await healthOf(TRESORIT)) !== 'healthy'; i++) {
      const more = await provision(tresorit, 'recovered')
      expect(more.status, JSON.stringify(more.body)).to.equal(201)
      await page.reload()
    }
    expect(await healthOf(TRESORIT)).to.equal('healthy')
    expect(await card(TRESORIT).locator('.state').textContent()).to.equal('healthy')
  })

  it('shows names holding HTML as text: no element is injected and no dialog opens', async () => {
    expect(
      (await directory.post('/Users', { schemas: [USER], userName: HOSTILE.img })).status,
    ).to.equal(201)
    expect(
      (await directory.post('/Groups', { schemas: [GROUP], displayName: HOSTILE.script })).status,
    ).to.equal(201)
    await createUser(tresorit, HOSTILE.bold)
    // Not an email: refused by the Tresorit rule, and logged with the name as sent.
    expect(
      (await tresorit.post('/Users', { schemas: [USER], userName: HOSTILE.img })).status,
    ).to.equal(400)

    await page.goto(`${origin}/admin`)
    expect(await card(TRESORIT).locator('b, img').count()).to.equal(0)
    expect(await card('demo/directory').locator('b, img, script').count()).to.equal(0)
    expect(await card(TRESORIT).textContent()).to.include(HOSTILE.img)

    await page.goto(`${origin}/admin/t/demo/directory`)
    const log = page.locator('.table-wrap').first()
    expect(await log.locator('tbody img, tbody b, tbody script').count()).to.equal(0)
    expect(await page.$('tbody img')).to.equal(null)
    const cells = await log.locator('tbody tr[data-outcome] td:nth-child(4)').allTextContents()
    expect(cells).to.include.members([HOSTILE.img, HOSTILE.script])

    await page.goto(`${origin}/admin/t/demo/tresorit?q=${encodeURIComponent('<b>')}`)
    expect(await page.$('tbody b')).to.equal(null)
    const found = await page.locator('tbody tr[data-outcome] td:nth-child(4)').allTextContents()
    expect(found).to.deep.equal([HOSTILE.bold])
    // The search box gives the text back as typed, not as markup.
    expect(await page.locator('input[name="q"]').inputValue()).to.equal('<b>')

    await page.goto(`${origin}/admin/t/demo/tresorit?outcome=rejected`)
    const rejected = page.locator('tbody tr[data-outcome="rejected"]')
    expect(await rejected.count()).to.equal(1)
    expect(await rejected.locator('td:nth-child(4)').textContent()).to.equal(HOSTILE.img)
    expect(await rejected.locator('img').count()).to.equal(0)
    await sleep(300)
    expect(dialogs).to.deep.equal([])
  })

  it('sends a browser with a tampered session cookie back to the login page', async () => {
    const tampered = await contextLike(LAPTOP)
    try {
      const [cookie] = (await tampered.cookies()).filter((c) => c.name === 'scgw_admin')
      expect(cookie, 'the session cookie').to.not.equal(undefined)
      if (!cookie) return
      const value = `${cookie.value.slice(0, -1)}${cookie.value.endsWith('A') ? 'B' : 'A'}`
      await tampered.addCookies([{ ...cookie, value }])
      const other = await tampered.newPage()
      await other.goto(`${origin}/admin/t/demo/tresorit`)
      expect(new URL(other.url()).pathname).to.equal('/admin/login')
      expect(await other.locator('input[name="token"]').count()).to.equal(1)
      expect(await other.locator('section.card[data-connection]').count()).to.equal(0)
    } finally {
      await tampered.close()
    }
    // The untampered session is still good.
    await page.goto(`${origin}/admin`)
    expect(new URL(page.url()).pathname).to.equal('/admin')
  })

  it('signs out through the header button and is then sent to the login page', async () => {
    await page.goto(`${origin}/admin`)
    await Promise.all([
      page.waitForURL(`${origin}/admin/login`),
      page.click('button:has-text("Sign out")'),
    ])
    expect((await context.cookies()).map((c) => c.name)).to.not.include('scgw_admin')
    await page.goto(`${origin}/admin`)
    expect(new URL(page.url()).pathname).to.equal('/admin/login')
  })
})
