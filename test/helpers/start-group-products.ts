import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startClumioSimulator } from '../../src/simulators/clumio/simulator.ts'
import type { ClumioSimulatorOptions } from '../../src/simulators/clumio/settings.ts'
import type { SimulatorHandle } from '../../src/simulators/common/start.ts'
import { INFISICAL_DEFAULTS } from '../../src/simulators/infisical/settings.ts'
import type { InfisicalSimulatorOptions } from '../../src/simulators/infisical/settings.ts'
import { startInfisicalSimulator } from '../../src/simulators/infisical/simulator.ts'
import { ADMIN_TOKEN, startGateway, type StartedGateway } from './start-gateway.ts'

export interface GroupProductGateway {
  started: StartedGateway
  clumio: SimulatorHandle
  infisical: SimulatorHandle
  /** Bearer tokens of the demo tenant's connections. */
  tokens: { clumio: string; infisical: string; directory: string }
  /** Waits until the outbox holds no queued or running job (bounded). */
  drained(): Promise<void>
  close(): Promise<void>
}

export interface StartGroupProductsOptions {
  clumio?: ClumioSimulatorOptions
  infisical?: InfisicalSimulatorOptions
  /** Extra YAML lines under each connection (indented 4 spaces). */
  clumioConnection?: string
  infisicalConnection?: string
  /** Whether the Infisical connection gets the membership read credential. Default true. */
  membershipToken?: boolean
  /**
   * The Clumio profile's `limits.requestsPerMinute` (shipped: 60, which a test suite would
   * spend in seconds). Default 6000.
   */
  clumioRequestsPerMinute?: number
}

const CONNECTORS = join(import.meta.dirname, '..', '..', 'connectors')

/** The shipped connectors, with the Clumio profile's request budget changed. */
async function connectorsWithClumioBudget(perMinute: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'group-profiles-'))
  for (const name of await readdir(CONNECTORS)) {
    let text = await readFile(join(CONNECTORS, name), 'utf8')
    if (name === 'clumio.yaml') {
      const changed = text.replace(/requestsPerMinute: [0-9]+/, `requestsPerMinute: ${perMinute}`)
      if (changed === text && !text.includes(`requestsPerMinute: ${perMinute}`))
        throw new Error('the shipped Clumio profile has no limits.requestsPerMinute to change')
      text = changed
    }
    await writeFile(join(dir, name), text)
  }
  return dir
}

/** The access rules the Clumio connection gets unless a test gives its own settings. */
export const CLUMIO_RULES = [
  '    settings:',
  '      organizationalUnits: [Global, Prod]',
  '      accessRules:',
  '        - { name: backup, anyOf: [Backup-Ops], role: Backup Admin, organizationalUnits: [Prod] }',
  '        - { name: helpdesk, allOf: [Helpdesk, Staff], role: Helpdesk Admin, organizationalUnits: [Prod] }',
  '        - { name: super, anyOf: [Clumio-SuperAdmins], role: Super Admin, organizationalUnits: [Global] }',
].join('\n')

/**
 * A real gateway whose tenant `demo` has `clumio` and `infisical` connections pointing at real
 * simulators on free ports (plus `directory`), with a fast outbox.
 */
export async function startGroupProducts(
  options: StartGroupProductsOptions = {},
): Promise<GroupProductGateway> {
  const clumio = await startClumioSimulator({ ...options.clumio })
  const infisical = await startInfisicalSimulator({ ...options.infisical })
  const tenant = [
    'tenant: demo',
    'connections:',
    '  directory:',
    '    connector: directory',
    '  clumio:',
    '    connector: clumio',
    `    baseUrl: ${clumio.baseUrl}`,
    '    secrets: { apiToken: "${env:CLUMIO_TOKEN}" }',
    options.clumioConnection ?? CLUMIO_RULES,
    '  infisical:',
    '    connector: infisical',
    `    baseUrl: ${infisical.baseUrl}`,
    options.membershipToken === false
      ? '    secrets: { scimToken: "${env:INFISICAL_SCIM}" }'
      : '    secrets: { scimToken: "${env:INFISICAL_SCIM}", membershipToken: "${env:INFISICAL_USER}" }',
    `    settings: { organizationId: ${options.infisical?.orgId ?? INFISICAL_DEFAULTS.orgId} }`,
    ...(options.infisicalConnection ? [options.infisicalConnection] : []),
    '',
  ].join('\n')
  const connectors = await connectorsWithClumioBudget(options.clumioRequestsPerMinute ?? 6000)
  const started = await startGateway({
    tenants: { demo: tenant },
    env: {
      CLUMIO_TOKEN: clumio.credential,
      INFISICAL_SCIM: infisical.credential,
      INFISICAL_USER: INFISICAL_DEFAULTS.userToken,
    },
    gatewayYaml: `listen: { host: 127.0.0.1, port: 0 }\nconnectors: ${connectors}\noutbox: { pollMs: 20, concurrency: 8, periodicSeconds: 1 }\n`,
  })
  const tokens = {
    clumio: await started.token('demo', 'clumio'),
    infisical: await started.token('demo', 'infisical'),
    directory: await started.token('demo', 'directory'),
  }
  return {
    started,
    clumio,
    infisical,
    tokens,
    async drained() {
      for (let i = 0; i < 600; i++) {
        const res = await fetch(`${started.origin}/admin/api/connections`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
        const { connections } = (await res.json()) as {
          connections: { outbox: { queued: number; running: number } }[]
        }
        if (connections.every((c) => c.outbox.queued + c.outbox.running === 0)) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const waiting = await fetch(`${started.origin}/admin/api/outbox?state=queued`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.text())
      throw new Error(`the outbox did not drain within 30 s: ${waiting.slice(0, 2000)}`)
    },
    async close() {
      await started.close()
      await rm(connectors, { recursive: true, force: true })
      await clumio.close()
      await infisical.close()
    },
  }
}
