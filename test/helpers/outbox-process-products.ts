import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseDocument } from 'yaml'
import {
  createTresoritSimulator,
  type SimulatorHandle,
  type TresoritSimulatorOptions,
} from '../../src/simulators/index.ts'
import type { ChildGateway } from './child-gateway.ts'
import { startGateway, type StartedGateway } from './start-gateway.ts'

const CONNECTORS_DIR = join(import.meta.dirname, '..', '..', 'connectors')

/** A Tresorit simulator whose test can act the moment a product request arrives. */
export interface WatchedSimulator extends SimulatorHandle {
  /** Called synchronously as each product request arrives, before the simulator serves it. */
  onRequest(listener: ((req: IncomingMessage) => void) | undefined): void
}

/** The Tresorit simulator on 127.0.0.1:0 behind a server the test can watch. */
export async function startWatchedTresorit(
  options: TresoritSimulatorOptions = {},
): Promise<WatchedSimulator> {
  const simulator = createTresoritSimulator(options)
  const server = createServer({ keepAlive: true }, simulator.app)
  let listener: ((req: IncomingMessage) => void) | undefined
  server.on('request', (req: IncomingMessage) => listener?.(req))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    name: 'tresorit',
    url,
    port,
    baseUrl: `${url}${simulator.basePath}`,
    credential: simulator.settings.tokens[0] ?? '',
    onRequest(next) {
      listener = next
    },
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((err) => (err ? fail(err) : done()))
        // Delayed faults would otherwise hold close() open.
        server.closeAllConnections()
      }),
  }
}

/** A copy of connectors/tresorit.yaml with other limits, written into `dir`. */
export async function writeTresoritProfile(
  dir: string,
  limits: { timeoutMs: number; maxRetries: number },
): Promise<void> {
  const doc = parseDocument(await readFile(join(CONNECTORS_DIR, 'tresorit.yaml'), 'utf8'))
  doc.setIn(['limits', 'timeoutMs'], limits.timeoutMs)
  doc.setIn(['limits', 'maxRetries'], limits.maxRetries)
  await writeFile(join(dir, 'tresorit.yaml'), doc.toString())
}

/** Tenant `demo` with one `tresorit` connection, as startProducts writes it. */
export const tresoritTenant = (baseUrl: string) =>
  [
    'tenant: demo',
    'connections:',
    '  tresorit:',
    '    connector: tresorit',
    `    baseUrl: ${baseUrl}`,
    '    secrets: { apiToken: "${env:TRESORIT_TOKEN}" }',
    '',
  ].join('\n')

/**
 * A database and configuration for gateway processes that may be killed: tenant `demo` with a
 * Tresorit connection whose profile times out after 300 ms without retrying (claim TTL 5.3 s),
 * an outbox that polls every 100 ms and runs its periodic work every second. The in-test
 * gateway holds the database and issues tokens; its worker is stopped, so the outbox work is
 * done by the child processes the test starts.
 */
export interface KillScenario {
  sim: WatchedSimulator
  started: StartedGateway
  children: ChildGateway[]
  close(): Promise<void>
}

export async function startKillScenario(): Promise<KillScenario> {
  const connectorsDir = await mkdtemp(join(tmpdir(), 'scim-gateway-connectors-'))
  await writeTresoritProfile(connectorsDir, { timeoutMs: 300, maxRetries: 0 })
  const sim = await startWatchedTresorit({ rateLimit: false })
  const started = await startGateway({
    tenants: { demo: tresoritTenant(sim.baseUrl) },
    env: { TRESORIT_TOKEN: sim.credential },
    gatewayYaml: [
      'listen: { host: 127.0.0.1, port: 0 }',
      `connectors: ${connectorsDir}`,
      'outbox: { pollMs: 100, periodicSeconds: 1 }',
      '',
    ].join('\n'),
  })
  await started.gateway.worker.stop()
  const children: ChildGateway[] = []
  return {
    sim,
    started,
    children,
    async close() {
      // Children first: the in-test gateway drops the PostgreSQL schema they use.
      await Promise.all(children.map((child) => child.stop()))
      await started.close()
      await sim.close()
      await rm(connectorsDir, { recursive: true, force: true })
    },
  }
}

/** Polls `read` (bounded) until `done` holds for its value; returns that value. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  limitMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() >= deadline)
      expect.fail(`${what}: not reached within ${limitMs} ms; last: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
