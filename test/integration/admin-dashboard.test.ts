import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { createSessionKeys } from '../../src/admin/session.ts'
import { scimClient, type ScimClient } from '../helpers/scim-client.ts'
import { createGroup, createUser } from '../helpers/scim-fixtures.ts'
import { ADMIN_TOKEN, startGateway, type StartedGateway } from '../helpers/start-gateway.ts'
import { startProducts, type ProductGateway } from '../helpers/start-products.ts'

interface Page {
  status: number
  headers: Headers
  text: string
}

interface LogEvent {
  subject: string | null
  outcome: string
}

const HOUR = 3_600_000
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` }
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' }

/** A request that never follows redirects, so a 303 is seen as a 303. */
async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', ...init })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

const postLogin = (origin: string, token: string, headers: Record<string, string> = {}) =>
  send(`${origin}/admin/login`, {
    method: 'POST',
    headers: { ...formHeaders, ...headers },
    body: form({ token }),
  })

/** The `scgw_admin=…` pair from a Set-Cookie header, for a Cookie header. */
function sessionPair(headers: Headers): string {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('scgw_admin='))
  expect(cookie, 'a scgw_admin cookie').to.be.a('string')
  return (cookie ?? '').split(';')[0] ?? ''
}

/** The reload form's CSRF token, as a browser would send it back. */
function csrfOf(html: string): string {
  const match =
    /<form method="post" action="\/admin\/reload">\s*<input type="hidden" name="csrf" value="([^"]+)"/.exec(
      html,
    )
  expect(match, 'the reload form with its CSRF field').to.not.equal(null)
  return match?.[1] ?? ''
}

/** The subjects (the Who column) of a connection page's log rows, unescaped. */
function loggedSubjects(html: string): string[] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
  return [...html.matchAll(/<tr data-outcome="[^"]*">((?:.|\n)*?)<\/tr>/g)].map((row) => {
    const cells = [...(row[1] ?? '').matchAll(/<td>((?:.|\n)*?)<\/td>/g)].map((c) =>
      unescape((c[1] ?? '').trim()),
    )
    return cells[3] ?? ''
  })
}

const sha256 = (text: string, encoding: 'hex' | 'base64' | 'base64url') =>
  createHash('sha256').update(text).digest(encoding)

/** One Prometheus sample, matched on its exact label set. */
function sampleOf(text: string, name: string, labels: Record<string, string>): number {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
      ([, key = '', value = '']) => [key, value],
    )
    if (JSON.stringify(found.sort()) === wanted) return Number(match[3])
  }
  return 0
}

describe('admin dashboard and admin API over HTTP', () => {
  let products: ProductGateway
  let origin = ''
  /** `scgw_admin=…` of the one session most tests use. */
  let session = ''
  let loginResponse: Page
  let directory: ScimClient
  let issued: string[] = []

  const page = (path: string, cookie = session) => send(`${origin}${path}`, { headers: { cookie } })
  const generation = async () => {
    const res = await fetch(`${origin}/admin/api/config`, { headers: bearer })
    expect(res.status).to.equal(200)
    return ((await res.json()) as { generation: number }).generation
  }
  const postReload = (fields: Record<string, string>, cookie = session) =>
    send(`${origin}/admin/reload`, {
      method: 'POST',
      headers: { ...formHeaders, ...(cookie ? { cookie } : {}) },
      body: form(fields),
    })

  before(async () => {
    products = await startProducts()
    origin = products.started.origin
    loginResponse = await postLogin(origin, ADMIN_TOKEN)
    session = sessionPair(loginResponse.headers)
    const directoryToken = await products.started.token('demo', 'directory')
    const tresoritToken = await products.started.token('demo', 'tresorit')
    const toriiToken = await products.started.token('demo', 'torii')
    const minted = await fetch(`${origin}/admin/api/tokens`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'demo', connection: 'directory', label: 'api' }),
    })
    expect(minted.status).to.equal(201)
    const apiToken = ((await minted.json()) as { token: string }).token
    issued = [directoryToken, tresoritToken, toriiToken, apiToken]
    directory = scimClient({ baseUrl: products.started.scimUrl, token: directoryToken })
    // Every connection has something in its log, upstream calls included.
    await createUser(
      scimClient({ baseUrl: products.started.scimUrl, token: tresoritToken }),
      'tresorit-user@example.com',
    )
    await createUser(
      scimClient({ baseUrl: products.started.scimUrl, token: toriiToken }),
      'torii-user@example.com',
    )
  })
  after(() => products.close())

  describe('signing in', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie scoped to /admin and redirects to the overview', async () => {
      expect(loginResponse.status).to.equal(303)
      expect(loginResponse.headers.get('location')).to.equal('/admin')
      const cookie = loginResponse.headers.getSetCookie().find((c) => c.startsWith('scgw_admin='))
      const attributes = (cookie ?? '').split(';').map((a) => a.trim().toLowerCase())
      expect(attributes).to.include('httponly')
      expect(attributes).to.include('samesite=strict')
      expect(attributes).to.include('path=/admin')
      expect(attributes.some((a) => a.startsWith('max-age='))).to.equal(true)
      expect(cookie).to.not.include(ADMIN_TOKEN)

      const overview = await page('/admin')
      expect(overview.status).to.equal(200)
      expect(overview.headers.get('content-type')).to.match(/^text\/html/)
      expect(overview.headers.get('cache-control')).to.equal('no-store')
      expect(overview.text).to.include('data-connection="demo/tresorit"')
      expect(overview.text).to.include('data-connection="demo/torii"')
      expect(overview.text).to.include('data-connection="demo/directory"')
    })

    it('answers a wrong credential with 401 and the error on the form, setting no cookie', async () => {
      const res = await postLogin(origin, 'not-the-credential')
      expect(res.status).to.equal(401)
      expect(res.text).to.include('Wrong admin credential.')
      expect(res.text).to.include('action="/admin/login"')
      expect(res.headers.getSetCookie()).to.deep.equal([])
    })

    it('sends a visitor without a session to the login page', async () => {
      for (const path of ['/admin', '/admin/t/demo/tresorit']) {
        const res = await page(path, '')
        expect(res.status, path).to.equal(303)
        expect(res.headers.get('location'), path).to.equal('/admin/login')
      }
      const login = await page('/admin/login', '')
      expect(login.status).to.equal(200)
      expect(login.text).to.include('name="token"')
    })
  })

  describe('signing out', () => {
    it('needs the CSRF token, then clears the cookie and redirects to the login page', async () => {
      const login = await postLogin(origin, ADMIN_TOKEN)
      const cookie = sessionPair(login.headers)
      const csrf = csrfOf((await page('/admin', cookie)).text)
      const signOut = (fields: Record<string, string>) =>
        send(`${origin}/admin/logout`, {
          method: 'POST',
          headers: { ...formHeaders, cookie },
          body: form(fields),
        })
      expect((await signOut({})).status).to.equal(403)
      expect((await signOut({ csrf: 'wrong' })).status).to.equal(403)
      const res = await signOut({ csrf })
      expect(res.status).to.equal(303)
      expect(res.headers.get('location')).to.equal('/admin/login')
      const cleared = res.headers.getSetCookie().find((c) => c.startsWith('scgw_admin='))
      expect(cleared).to.match(/^scgw_admin=;/)
      expect(cleared?.toLowerCase()).to.include('path=/admin')
      expect(cleared).to.match(/Expires=Thu, 01 Jan 1970/)
      // The signed-out session is over even for someone who kept its cookie.
      const replay = await page('/admin', cookie)
      expect(replay.status).to.equal(303)
      expect(replay.headers.get('location')).to.equal('/admin/login')
    })
  })

  describe('sign-in attempts from one address', () => {
    let fresh: StartedGateway

    // A gateway of its own: the lockout would otherwise also shut out the other tests.
    before(async () => {
      fresh = await startGateway()
    })
    after(() => fresh.close())

    it('answers 429 with Retry-After after 10 wrong credentials, even to the right one', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await postLogin(fresh.origin, `wrong-${i}`)
        expect(res.status, `attempt ${i + 1}`).to.equal(401)
      }
      const blocked = await postLogin(fresh.origin, 'wrong-again')
      expect(blocked.status).to.equal(429)
      expect(Number(blocked.headers.get('retry-after'))).to.be.at.least(1)
      expect(blocked.text).to.include('Too many attempts')
      // Otherwise the limit would tell a guesser when a guess is right.
      const right = await postLogin(fresh.origin, ADMIN_TOKEN)
      expect(right.status).to.equal(429)
      expect(right.headers.getSetCookie()).to.deep.equal([])
      // Without trustProxy, a forged X-Forwarded-For is not another address.
      const spoofed = await postLogin(fresh.origin, ADMIN_TOKEN, {
        'x-forwarded-for': '203.0.113.9',
      })
      expect(spoofed.status).to.equal(429)
    })
  })

  describe('forged and expired sessions', () => {
    const now = Date.now()
    const signedElsewhere = createSessionKeys('another-credential').issue(now).cookie
    const expired = createSessionKeys(ADMIN_TOKEN).issue(now - 9 * HOUR).cookie

    function forgeries(): Record<string, string> {
      const genuine = session.slice('scgw_admin='.length)
      const [expires = '', nonce = '', signature = ''] = genuine.split('.')
      const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`
      return {
        garbage: 'scgw_admin=garbage',
        'a flipped signature': `scgw_admin=${expires}.${nonce}.${flipped}`,
        'a longer expiry': `scgw_admin=${Number(expires) + 365 * 24 * HOUR}.${nonce}.${signature}`,
        'another nonce': `scgw_admin=${expires}.x${nonce}.${signature}`,
        'no signature': `scgw_admin=${expires}.${nonce}`,
        'a cookie signed with another credential': `scgw_admin=${signedElsewhere}`,
        'an expired cookie': `scgw_admin=${expired}`,
      }
    }

    it('sends a GET with a forged or expired cookie to the login page', async () => {
      for (const [what, cookie] of Object.entries(forgeries())) {
        for (const path of ['/admin', '/admin/t/demo/tresorit']) {
          const res = await page(path, cookie)
          expect(res.status, `${what} ${path}`).to.equal(303)
          expect(res.headers.get('location'), what).to.equal('/admin/login')
        }
      }
    })

    it('answers a POST with a forged or expired cookie with 401 and reloads nothing', async () => {
      const previous = await generation()
      const csrf = csrfOf((await page('/admin')).text)
      for (const [what, cookie] of Object.entries(forgeries())) {
        const res = await postReload({ csrf }, cookie)
        expect(res.status, what).to.equal(401)
        expect(res.text, what).to.include('sign in again')
        const logout = await send(`${origin}/admin/logout`, {
          method: 'POST',
          headers: { ...formHeaders, cookie },
          body: form({ csrf }),
        })
        expect(logout.status, what).to.equal(401)
      }
      expect(await generation()).to.equal(previous)
    })
  })

  describe('reloading the configuration from the dashboard', () => {
    it('refuses a reload without the CSRF token, with a wrong one or with another session’s, with 403', async () => {
      const previous = await generation()
      const otherSessions = createSessionKeys(ADMIN_TOKEN).issue(Date.now()).csrf
      const attempts: Record<string, string>[] = [
        {},
        { csrf: '' },
        { csrf: 'wrong' },
        { csrf: otherSessions },
      ]
      for (const fields of attempts) {
        const res = await postReload(fields)
        expect(res.status, JSON.stringify(fields)).to.equal(403)
        expect(res.text).to.include('CSRF')
      }
      // The right token without the session cookie (a cross-site post) is no better.
      const csrf = csrfOf((await page('/admin')).text)
      expect((await postReload({ csrf }, '')).status).to.equal(401)
      expect(await generation()).to.equal(previous)
    })

    it('reloads with the token from the overview form, answering 303 to the overview', async () => {
      const previous = await generation()
      const overview = await page('/admin')
      expect(overview.text).to.include(`generation ${previous},`)
      const res = await postReload({ csrf: csrfOf(overview.text) })
      expect(res.status).to.equal(303)
      expect(res.headers.get('location')).to.equal('/admin')
      expect(await generation()).to.equal(previous + 1)
      const config = (await (
        await fetch(`${origin}/admin/api/config`, { headers: bearer })
      ).json()) as {
        lastReload: { ok: boolean; reason: string } | null
      }
      expect(config.lastReload).to.include({ ok: true, reason: 'dashboard' })
      expect((await page('/admin')).text).to.include(`generation ${previous + 1},`)
    })
  })

  describe('connection pages', () => {
    it('answers 404 for an unknown tenant or connection', async () => {
      for (const path of [
        '/admin/t/nobody/directory',
        '/admin/t/demo/nothing',
        '/admin/t/%3Cscript%3E/directory',
        '/admin/t/demo/..%2F..%2Fetc',
      ]) {
        const res = await page(path)
        expect(res.status, path).to.equal(404)
        expect(res.text, path).to.include('No such tenant connection.')
        expect(res.text, path).to.not.include('<script>')
      }
    })

    it('shows a known connection with its log, rules and tokens by prefix only', async () => {
      const res = await page('/admin/t/demo/tresorit')
      expect(res.status).to.equal(200)
      expect(loggedSubjects(res.text)).to.include('tresorit-user@example.com')
      expect(res.text).to.include('Rules as loaded')
      const prefix = /^scgw_([^_]+)_/.exec(issued[1] ?? '')?.[1] ?? ''
      expect(res.text).to.include(`scgw_${prefix}`)
      expect(res.text).to.not.include(issued[1] ?? '-')
    })
  })

  describe('hostile log searches', () => {
    const names = [
      'a_b@example.com',
      'axb@example.com',
      'a%b@example.com',
      'aZZb@example.com',
      "'; drop table events; --",
      'back\\slash@example.com',
    ]

    before(async () => {
      for (const name of names) await createUser(directory, name)
    })

    const search = async (query: Record<string, string>) => {
      const res = await page(`/admin/t/demo/directory?${new URLSearchParams(query).toString()}`)
      expect(res.status, JSON.stringify(query).slice(0, 100)).to.equal(200)
      return loggedSubjects(res.text)
    }
    const searchApi = async (query: Record<string, string>) => {
      const res = await fetch(
        `${origin}/admin/api/tenants/demo/connections/directory/events?${new URLSearchParams(query).toString()}`,
        { headers: bearer },
      )
      expect(res.status, JSON.stringify(query).slice(0, 100)).to.equal(200)
      return ((await res.json()) as { events: LogEvent[] }).events.map((e) => e.subject)
    }

    it('treats _ and % literally in the dashboard and the events API', async () => {
      for (const find of [search, searchApi]) {
        expect(await find({ q: 'a_b' })).to.deep.equal(['a_b@example.com'])
        expect(await find({ q: 'a%b' })).to.deep.equal(['a%b@example.com'])
        expect(await find({ q: 'A_B@EXAMPLE' })).to.deep.equal(['a_b@example.com'])
        expect(await find({ q: '\\' })).to.deep.equal(['back\\slash@example.com'])
        expect(await find({ q: '%' })).to.deep.equal(['a%b@example.com'])
        expect(await find({ q: '_' })).to.deep.equal(['a_b@example.com'])
      }
    })

    it('finds a quoted SQL fragment as text, and the log is intact afterwards', async () => {
      for (const find of [search, searchApi]) {
        expect(await find({ q: "'; drop table events; --" })).to.deep.equal([
          "'; drop table events; --",
        ])
        expect(await find({ q: "' or '1'='1" })).to.deep.equal([])
      }
      expect(await search({ q: 'example.com' })).to.include.members(
        names.filter((n) => n.includes('@')),
      )
    })

    it('answers a 10,000-character search without error, echoing at most 200 characters', async () => {
      // Hostile characters first, then enough to make 10,000 (and a URL Node still accepts).
      const long = `a_b%'\\;--${'q'.repeat(9_991)}`
      expect(long).to.have.length(10_000)
      expect(await search({ q: long })).to.deep.equal([])
      expect(await searchApi({ q: long })).to.deep.equal([])
      const res = await page(`/admin/t/demo/directory?q=${encodeURIComponent('z'.repeat(10_000))}`)
      expect(res.status).to.equal(200)
      const echoed = /<input name="q"[^>]*value="([^"]*)"/.exec(res.text)?.[1] ?? ''
      expect(echoed.length).to.be.at.most(200)
    })

    it('ignores unknown or hostile outcome, resource, since and before values', async () => {
      const all = await search({})
      const hostile: Record<string, string>[] = [
        { outcome: "failed' or 1=1 --" },
        { resource: 'User; drop table links' },
        { since: 'not-a-date' },
        { since: "2020-01-01'; --" },
        { before: '-1' },
        { before: '1e309' },
        { before: '9'.repeat(40) },
      ]
      for (const query of hostile) {
        expect(await search(query), JSON.stringify(query)).to.deep.equal(all)
        expect(await searchApi(query), JSON.stringify(query)).to.have.length.above(0)
      }
      expect(await search({ outcome: 'failed' })).to.deep.equal([])
      expect(await search({ outcome: 'deleted' })).to.deep.equal([])
    })
  })

  describe('admin JSON API', () => {
    const apiPaths = ['/admin/api/overview', '/admin/api/tenants/demo/connections/tresorit/events']

    it('needs the admin bearer credential; the dashboard cookie does not unlock it', async () => {
      for (const path of apiPaths) {
        const refused: Record<string, string>[] = [
          {},
          { authorization: 'Bearer wrong' },
          { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
          { authorization: `Bearer ${issued[0] ?? ''}` },
          { cookie: session },
        ]
        for (const headers of refused) {
          const res = await fetch(`${origin}${path}`, { headers })
          expect(res.status, `${path} ${JSON.stringify(headers)}`).to.equal(401)
          await res.body?.cancel()
        }
        const ok = await fetch(`${origin}${path}`, { headers: bearer })
        expect(ok.status, path).to.equal(200)
        await ok.body?.cancel()
      }
      const unknown = await fetch(`${origin}/admin/api/tenants/nobody/connections/x/events`, {
        headers: bearer,
      })
      expect(unknown.status).to.equal(404)
    })

    it('describes every connection without a token, a token hash or an upstream secret', async () => {
      expect(products.tresorit.credential).to.equal('tresorit-sim-token')
      expect(products.torii.credential).to.equal('torii-sim-key')
      await createGroup(directory, 'Secretless')
      const secrets = [
        'tresorit-sim-token',
        'torii-sim-key',
        ADMIN_TOKEN,
        ...issued.flatMap((token) => [
          token,
          token.split('_').slice(2).join('_'),
          sha256(token, 'hex'),
          sha256(token, 'base64'),
          sha256(token, 'base64url'),
        ]),
      ]
      const texts: Record<string, string> = {}
      for (const path of [
        '/admin/api/overview',
        ...['directory', 'tresorit', 'torii'].map(
          (c) => `/admin/api/tenants/demo/connections/${c}/events`,
        ),
      ]) {
        const res = await fetch(`${origin}${path}`, { headers: bearer })
        expect(res.status, path).to.equal(200)
        texts[path] = await res.text()
      }
      for (const path of ['/admin', '/admin/t/demo/tresorit', '/admin/t/demo/torii']) {
        texts[path] = (await page(path)).text
      }
      const overview = JSON.parse(texts['/admin/api/overview'] ?? '{}') as {
        connections: { tenant: string; connection: string; health: string }[]
      }
      expect(
        overview.connections.map((c) => `${c.tenant}/${c.connection}:${c.health}`).sort(),
      ).to.deep.equal(['demo/directory:healthy', 'demo/torii:healthy', 'demo/tresorit:healthy'])
      for (const [path, text] of Object.entries(texts)) {
        for (const secret of secrets) {
          expect(text.includes(secret), `${path} holds ${secret.slice(0, 12)}…`).to.equal(false)
        }
        expect(text, path).to.not.match(/scgw_[A-Za-z0-9-]+_[A-Za-z0-9_-]{20,}/)
      }
    })
  })

  describe('metrics and probes', () => {
    it('serves /metrics only with the admin credential', async () => {
      const refused: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { cookie: session },
      ]
      for (const headers of refused) {
        const res = await fetch(`${origin}/metrics`, { headers })
        expect(res.status, JSON.stringify(headers)).to.equal(401)
        await res.body?.cancel()
      }
      const res = await fetch(`${origin}/metrics`, { headers: bearer })
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.match(/^text\/plain/)
      expect(await res.text()).to.include('scim_requests_total')
    })

    it('counts SCIM requests: the values move when requests are made', async () => {
      const scrape = async () =>
        await (await fetch(`${origin}/metrics`, { headers: bearer })).text()
      const created = { tenant: 'demo', connection: 'directory', method: 'POST', status: '201' }
      const before = await scrape()
      await createUser(directory, 'metered-1@example.com')
      await createUser(directory, 'metered-2@example.com')
      const conflict = await directory.post('/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'metered-1@example.com',
      })
      expect(conflict.status).to.equal(409)
      const after = await scrape()
      expect(sampleOf(after, 'scim_requests_total', created)).to.equal(
        sampleOf(before, 'scim_requests_total', created) + 2,
      )
      const conflicts = { ...created, status: '409' }
      expect(sampleOf(after, 'scim_requests_total', conflicts)).to.equal(
        sampleOf(before, 'scim_requests_total', conflicts) + 1,
      )
      const count = { tenant: 'demo', connection: 'directory', method: 'POST' }
      expect(sampleOf(after, 'scim_request_duration_seconds_count', count)).to.equal(
        sampleOf(before, 'scim_request_duration_seconds_count', count) + 3,
      )
    })

    it('answers /healthz and /readyz with 200 without any credential', async () => {
      const health = await fetch(`${origin}/healthz`)
      expect(health.status).to.equal(200)
      expect(await health.json()).to.deep.equal({ status: 'ok' })
      const ready = await fetch(`${origin}/readyz`)
      expect(ready.status).to.equal(200)
      expect(await ready.json()).to.deep.include({ status: 'ok' })
    })
  })
})
