import { startToriiSimulator, startTresoritSimulator } from '../../src/simulators/index.ts'
import type {
  SimulatorHandle,
  ToriiSimulatorOptions,
  TresoritSimulatorOptions,
} from '../../src/simulators/index.ts'
import { startGateway, type StartedGateway } from './start-gateway.ts'

export interface ProductGateway {
  started: StartedGateway
  tresorit: SimulatorHandle
  torii: SimulatorHandle
  close(): Promise<void>
}

export interface StartProductsOptions {
  tresorit?: TresoritSimulatorOptions
  torii?: ToriiSimulatorOptions
  /** Extra YAML lines under each connection (indented 4 spaces), e.g. `    deletePolicy: deactivate`. */
  tresoritConnection?: string
  toriiConnection?: string
  /** The Torii connection's `apiKeyExpires` setting (YYYY-MM-DD). */
  toriiApiKeyExpires?: string
  gatewayYaml?: string
}

/**
 * A real gateway whose tenant `demo` has `tresorit` and `torii` connections pointing at real
 * simulators on free ports (plus the `directory` connection).
 */
export async function startProducts(options: StartProductsOptions = {}): Promise<ProductGateway> {
  const tresorit = await startTresoritSimulator({ ...options.tresorit })
  const torii = await startToriiSimulator({ users: [], ...options.torii })
  const tenant = [
    'tenant: demo',
    'connections:',
    '  directory:',
    '    connector: directory',
    '  tresorit:',
    '    connector: tresorit',
    `    baseUrl: ${tresorit.baseUrl}`,
    '    secrets: { apiToken: "${env:TRESORIT_TOKEN}" }',
    ...(options.tresoritConnection ? [options.tresoritConnection] : []),
    '  torii:',
    '    connector: torii',
    `    baseUrl: ${torii.baseUrl}`,
    '    secrets: { apiKey: "${env:TORII_KEY}" }',
    `    settings: { roles: [Admin, Read-only, IT Admin, Employee], apiKeyExpires: ${options.toriiApiKeyExpires ?? '2030-12-31'} }`,
    ...(options.toriiConnection ? [options.toriiConnection] : []),
    '',
  ].join('\n')
  const started = await startGateway({
    tenants: { demo: tenant },
    env: { TRESORIT_TOKEN: tresorit.credential, TORII_KEY: torii.credential },
    ...(options.gatewayYaml ? { gatewayYaml: options.gatewayYaml } : {}),
  })
  return {
    started,
    tresorit,
    torii,
    async close() {
      await started.close()
      await tresorit.close()
      await torii.close()
    },
  }
}

/** Reads a simulator's `/_sim/state`. */
export async function simState<T>(sim: SimulatorHandle): Promise<T> {
  return (await (await fetch(`${sim.url}/_sim/state`)).json()) as T
}

/** Queues faults on a simulator (`POST /_sim/faults`). */
export async function simFault(
  sim: SimulatorHandle,
  fault: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  })
  if (!res.ok) throw new Error(`fault refused: ${res.status}`)
}

/** What the product received (`GET /_sim/requests`). */
export async function simRequests(
  sim: SimulatorHandle,
): Promise<{ method: string; path: string; body: unknown; status: number | null }[]> {
  const body = (await (await fetch(`${sim.url}/_sim/requests`)).json()) as {
    requests: { method: string; path: string; body: unknown; status: number | null }[]
  }
  return body.requests
}
