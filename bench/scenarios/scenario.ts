import type { BenchGateway } from '../gateway.ts'
import type { ScimClient } from '../http-client.ts'
import type { ProcessGroup } from '../processes.ts'
import type { ResultRow } from '../results.ts'

export interface BenchOptions {
  users: number
  loadConcurrency: number
  connections: number
  durationSeconds: number
  warmupSeconds: number
  /** Slices a gateway-vs-baseline comparison alternates in (see measureAlternating). */
  rounds: number
  /** Bound on every wait: a child printing its URL, a single request, a command. */
  timeoutMs: number
}

/** What every scenario gets: a running gateway with its users loaded. */
export interface BenchContext {
  root: string
  /** This run's temporary folder, removed at the end. */
  dir: string
  options: BenchOptions
  processes: ProcessGroup
  gateway: BenchGateway
  client: ScimClient
  userNames: string[]
  log: (line: string) => void
}

export interface ScenarioResult {
  rows: ResultRow[]
  /** Lines printed under the table, e.g. whether a target was met. */
  notes: string[]
}

export interface Scenario {
  /** Short and stable: BENCH_SCENARIOS selects scenarios by it. */
  id: string
  name: string
  run(context: BenchContext): Promise<ScenarioResult>
}
