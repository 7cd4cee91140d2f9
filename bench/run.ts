// `npm run bench`: the gateway and each baseline run in their own processes; this process is
// the load generator. See README "Benchmarks" and DESIGN.md "Performance notes".
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBenchGateway, type BenchConnection } from './gateway.ts'
import { createScimClient, type ScimClient } from './http-client.ts'
import { loadUsers } from './load-users.ts'
import { gatewayNodeFlags, readBenchOptions, selectScenarios } from './options.ts'
import { createProcessGroup } from './processes.ts'
import {
  RATIO_DEFINITION,
  describeMachine,
  formatTable,
  plainRow,
  writeResults,
  type ResultRow,
} from './results.ts'
import { authCost } from './scenarios/auth.ts'
import { createConnectorScenario } from './scenarios/connector.ts'
import { groupsAtScale } from './scenarios/groups.ts'
import { listPages } from './scenarios/list-pages.ts'
import type { Scenario } from './scenarios/scenario.ts'
import { userNameFilter } from './scenarios/user-name-filter.ts'

/** Run in order against one gateway; add groups here. */
const scenarios: Scenario[] = [
  userNameFilter,
  listPages,
  createConnectorScenario(),
  authCost,
  groupsAtScale,
]

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const resultsFile = join(root, 'bench', 'results', 'latest.json')
const log = (line: string) => process.stderr.write(`${line}\n`)

async function main() {
  const options = readBenchOptions(process.env)
  const selected = selectScenarios(scenarios, process.env)
  const processes = createProcessGroup()
  const dir = await mkdtemp(join(tmpdir(), 'scim-gateway-bench-'))
  // On a signal, process.exit() skips the finally below; this still runs.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  let client: ScimClient | undefined
  try {
    const setupContext = { root, dir, options, processes, log }
    const connections: BenchConnection[] = []
    for (const scenario of selected)
      if (scenario.setup) connections.push(...(await scenario.setup(setupContext)))
    const gateway = await startBenchGateway(processes, {
      root,
      dir,
      nodeFlags: gatewayNodeFlags(process.env),
      connections,
      timeoutMs: options.timeoutMs,
    })
    log(`gateway ${gateway.url} (pid ${gateway.process.pid})`)
    client = createScimClient({
      baseUrl: gateway.url,
      token: gateway.token,
      maxSockets: options.loadConcurrency,
      timeoutMs: options.timeoutMs,
    })
    log(`loading ${options.users} users, ${options.loadConcurrency} in flight`)
    const loaded = await loadUsers(client, {
      count: options.users,
      concurrency: options.loadConcurrency,
      onProgress: (done) => log(`  ${done} users`),
    })
    log(`  ${options.users} users in ${loaded.seconds.toFixed(1)} s (${loaded.rate.toFixed(0)}/s)`)
    const rows: ResultRow[] = [plainRow('users.load.rate', loaded.rate, 'users/s')]
    const notes: string[] = []
    const context = { ...setupContext, gateway, client }
    for (const scenario of selected) {
      log(`${scenario.name}: ${options.connections} connections, ${options.durationSeconds} s`)
      const result = await scenario.run({ ...context, userNames: loaded.userNames })
      rows.push(...result.rows)
      notes.push(...result.notes)
    }
    const machine = describeMachine()
    process.stdout.write(
      `\n${formatTable(rows)}\n\nratio: ${RATIO_DEFINITION}\n${notes.join('\n')}\n` +
        `node ${machine.node}, ${machine.cpus.count} × ${machine.cpus.model}\n`,
    )
    await writeResults(resultsFile, {
      date: new Date().toISOString(),
      ...machine,
      settings: { ...options },
      ratio: RATIO_DEFINITION,
      rows,
    })
    log(`wrote ${resultsFile}`)
  } finally {
    client?.close()
    await processes.stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
