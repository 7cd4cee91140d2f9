import type { BenchConnection, BenchGateway } from '../gateway.ts'
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

/** What a scenario's setup gets, before the gateway starts. */
export interface SetupContext {
  root: string
  /** This run's temporary folder, removed at the end. */
  dir: string
  options: BenchOptions
  processes: ProcessGroup
  log: (line: string) => void
}

/** What every scenario gets: a running gateway with its users loaded. */
export interface BenchContext extends SetupContext {
  gateway: BenchGateway
  client: ScimClient
  userNames: string[]
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
  /** Before the gateway starts: start products, add connections to the bench tenant. */
  setup?(context: SetupContext): Promise<BenchConnection[]>
  run(context: BenchContext): Promise<ScenarioResult>
}
