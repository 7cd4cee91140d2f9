import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { expect } from 'chai'
import { healthz, readyz, type ReadinessOptions } from '../../src/http/probes.ts'

interface Probe {
  status: number
  body: unknown
  ms: number
}

describe('health probes', () => {
  let server: Server
  let origin = ''
  // Each test sets what the readiness checks see.
  let ping: ReadinessOptions['ping'] = () => Promise.resolve()
  let configLoaded = true

  before(async () => {
    const app = express()
    app.get('/healthz', healthz())
    app.get('/readyz', readyz({ ping: () => ping(), configLoaded: () => configLoaded }))
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  beforeEach(() => {
    ping = () => Promise.resolve()
    configLoaded = true
  })

  async function probe(path: string): Promise<Probe> {
    const started = Date.now()
    const res = await fetch(`${origin}${path}`)
    return { status: res.status, body: await res.json(), ms: Date.now() - started }
  }

  it('answers healthz with 200 while the process is alive, whatever the database does', async () => {
    ping = () => Promise.reject(new Error('database away'))
    configLoaded = false
    const res = await probe('/healthz')
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({ status: 'ok' })
  })

  it('answers readyz with 200 when the database answers and a configuration is loaded', async () => {
    let pinged = 0
    ping = () => {
      pinged += 1
      return Promise.resolve()
    }
    const res = await probe('/readyz')
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({
      status: 'ok',
      checks: { database: 'ok', configuration: 'ok' },
    })
    expect(pinged).to.equal(1)
  })

  it('answers readyz with 503 naming the database when the ping fails, without its message', async () => {
    ping = () =>
      Promise.reject(new Error('connect ECONNREFUSED postgres://admin:hunter2@db.internal/scim'))
    const res = await probe('/readyz')
    expect(res.status).to.equal(503)
    expect(res.body).to.deep.equal({
      status: 'unavailable',
      checks: { database: 'failed', configuration: 'ok' },
    })
    expect(JSON.stringify(res.body)).to.not.match(/hunter2|ECONNREFUSED|at /)
  })

  it('answers readyz with 503 when the ping throws before returning a promise', async () => {
    ping = () => {
      throw new Error('pool destroyed')
    }
    const res = await probe('/readyz')
    expect(res.status).to.equal(503)
    expect(res.body).to.deep.include({ status: 'unavailable' })
    expect((res.body as { checks: unknown }).checks).to.deep.equal({
      database: 'failed',
      configuration: 'ok',
    })
  })

  it('answers readyz with 503 within its 2 s bound when the database never answers', async () => {
    ping = () => new Promise<void>(() => {})
    const res = await probe('/readyz')
    expect(res.status).to.equal(503)
    expect(res.body).to.deep.equal({
      status: 'unavailable',
      checks: { database: 'timeout', configuration: 'ok' },
    })
    // It waited for the database (not a short cut) and no longer than the bound, plus slack.
    expect(res.ms).to.be.within(1_900, 2_800)
  })

  it('answers readyz with 503 naming the configuration when none is loaded', async () => {
    configLoaded = false
    const res = await probe('/readyz')
    expect(res.status).to.equal(503)
    expect(res.body).to.deep.equal({
      status: 'unavailable',
      checks: { database: 'ok', configuration: 'missing' },
    })
  })
})
