import { expect } from 'chai'
import {
  isSimulatorName,
  simulators,
  startSimulators,
  type SimulatorHandle,
} from '../../../src/simulators/index.ts'
import { call } from './http.ts'

describe('simulators registry', () => {
  let handles: SimulatorHandle[] = []
  afterEach(async () => {
    await Promise.all(handles.map((handle) => handle.close()))
    handles = []
  })

  it('starts every simulator when no name is given, each answering with its credential', async () => {
    handles = await startSimulators()
    expect(handles.map((handle) => handle.name)).to.deep.equal([
      'tresorit',
      'torii',
      'clumio',
      'infisical',
    ])
    const [tresorit, torii, clumio, infisical] = handles
    expect(
      (await call(tresorit?.baseUrl ?? '', 'GET', '/license', { token: tresorit?.credential }))
        .status,
    ).to.equal(200)
    expect(
      (await call(torii?.baseUrl ?? '', 'GET', '/scim/v2/Users', { token: torii?.credential }))
        .status,
    ).to.equal(200)
    expect(
      (
        await call(clumio?.baseUrl ?? '', 'GET', '/roles', {
          token: clumio?.credential,
          headers: { accept: 'application/api.clumio.roles=v1+json' },
        })
      ).status,
    ).to.equal(200)
    expect(
      (
        await call(infisical?.baseUrl ?? '', 'GET', '/api/v1/scim/Users', {
          token: infisical?.credential,
        })
      ).status,
    ).to.equal(200)
  })

  it('starts only the named ones and can lift every rate limit', async () => {
    handles = await startSimulators(['torii'], {
      rateLimit: false,
      torii: { rateLimit: { scim: { limit: 1 } } },
    })
    expect(handles).to.have.length(1)
    const [torii] = handles
    for (let i = 0; i < 3; i++)
      expect(
        (await call(torii?.baseUrl ?? '', 'GET', '/scim/v2/Users', { token: torii?.credential }))
          .status,
      ).to.equal(200)
  })

  it('closes those already started when one fails', async () => {
    const first = await simulators.torii()
    handles = [first]
    let failed = false
    try {
      await startSimulators(['tresorit', 'torii'], { torii: { port: first.port } })
    } catch {
      failed = true
    }
    expect(failed).to.equal(true)
  })

  it('knows its product names', () => {
    expect(['tresorit', 'torii', 'clumio', 'infisical', 'okta'].map(isSimulatorName)).to.deep.equal(
      [true, true, true, true, false],
    )
  })
})
