import type { BenchOptions } from './scenarios/scenario.ts'

function readNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number ≥ 0, not ${text}`)
  return value
}

/**
 * Settings from the environment: BENCH_DURATION and BENCH_WARMUP (seconds per target),
 * BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_USERS, BENCH_LOAD_CONCURRENCY.
 */
export function readBenchOptions(env: NodeJS.ProcessEnv): BenchOptions {
  return {
    users: Math.max(1, Math.round(readNumber(env, 'BENCH_USERS', 10_000))),
    loadConcurrency: Math.max(1, Math.round(readNumber(env, 'BENCH_LOAD_CONCURRENCY', 16))),
    connections: Math.max(1, Math.round(readNumber(env, 'BENCH_CONNECTIONS', 10))),
    durationSeconds: Math.max(1, readNumber(env, 'BENCH_DURATION', 10)),
    warmupSeconds: readNumber(env, 'BENCH_WARMUP', 2),
    rounds: Math.max(1, Math.round(readNumber(env, 'BENCH_ROUNDS', 2))),
    timeoutMs: 30_000,
  }
}

/** BENCH_CPU_PROF=<dir> profiles the gateway process; the .cpuprofile is written when it stops. */
export function gatewayNodeFlags(env: NodeJS.ProcessEnv): string[] {
  const dir = env.BENCH_CPU_PROF
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : []
}

/** BENCH_SCENARIOS=filter,list runs only those (by id), e.g. to profile one path. */
export function selectScenarios<T extends { id: string }>(all: T[], env: NodeJS.ProcessEnv): T[] {
  const wanted = env.BENCH_SCENARIOS?.split(',')
    .map((id) => id.trim())
    .filter(Boolean)
  if (!wanted?.length) return all
  const unknown = wanted.filter((id) => !all.some((s) => s.id === id))
  if (unknown.length) {
    throw new Error(
      `BENCH_SCENARIOS: no scenario ${unknown.join(', ')}; known: ${all.map((s) => s.id).join(', ')}`,
    )
  }
  return all.filter((s) => wanted.includes(s.id))
}
