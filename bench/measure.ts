import autocannon from 'autocannon'

export interface MeasureOptions {
  /** Origin only, e.g. http://127.0.0.1:PORT; each request's path comes from `nextPath`. */
  origin: string
  headers: Record<string, string>
  connections: number
  durationSeconds: number
  /** Run first and thrown away, so the JIT has settled before anything is recorded. */
  warmupSeconds: number
  /** Called once per request, so every request can ask for something different. */
  nextPath: () => string
  /** GET unless told otherwise. */
  method?: 'GET' | 'POST'
  /** Called once per request for its body, e.g. to create a new resource every time. */
  nextBody?: () => string
  /** Any other status fails the measurement; without it, any 2xx passes. */
  expectStatus?: number
}

export interface Measurement {
  /** Completed requests per second over the measured time. */
  rps: number
  /** Latency percentiles of 2xx answers, in milliseconds. */
  p50: number
  p99: number
  requests: number
}

/** What one autocannon run recorded. */
interface Samples {
  latencies: Float64Array
  requests: number
  seconds: number
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN
}

function summarise(parts: Samples[]): Measurement {
  const all = new Float64Array(parts.reduce((n, p) => n + p.latencies.length, 0))
  let at = 0
  for (const p of parts) {
    all.set(p.latencies, at)
    at += p.latencies.length
  }
  all.sort()
  const requests = parts.reduce((n, p) => n + p.requests, 0)
  const seconds = parts.reduce((n, p) => n + p.seconds, 0)
  return { rps: requests / seconds, p50: percentile(all, 50), p99: percentile(all, 99), requests }
}

/**
 * Runs autocannon in this process. Latencies are collected here from each response
 * (sub-millisecond) because autocannon's own histogram rounds to whole milliseconds, which
 * flattens the difference between a 0.6 ms and a 1.4 ms answer. Any non-2xx answer or
 * socket error fails the measurement: it would be measuring the wrong thing.
 */
function runAutocannon(options: MeasureOptions, durationSeconds: number): Promise<Samples> {
  let latencies = new Float64Array(1 << 16)
  let count = 0
  const unexpected = new Map<number, number>()
  const { nextPath, nextBody } = options
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.origin,
        connections: options.connections,
        duration: durationSeconds,
        headers: options.headers,
        requests: [
          {
            method: options.method ?? 'GET',
            setupRequest: (req) =>
              nextBody
                ? { ...req, path: nextPath(), body: nextBody() }
                : { ...req, path: nextPath() },
          },
        ],
      },
      (err: unknown, result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error('autocannon failed', { cause: err }))
          return
        }
        if (result.non2xx > 0 || result.errors > 0) {
          const codes = JSON.stringify(result.statusCodeStats ?? {})
          reject(
            new Error(
              `${result.non2xx} non-2xx answers and ${result.errors} errors (${codes}) from ${options.origin}`,
            ),
          )
          return
        }
        if (unexpected.size > 0) {
          const codes = JSON.stringify(Object.fromEntries(unexpected))
          reject(
            new Error(
              `answers other than ${options.expectStatus} (${codes}) from ${options.origin}`,
            ),
          )
          return
        }
        resolve({
          latencies: latencies.subarray(0, count),
          requests: result.requests.total,
          seconds: result.duration,
        })
      },
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (options.expectStatus !== undefined && statusCode !== options.expectStatus)
        unexpected.set(statusCode, (unexpected.get(statusCode) ?? 0) + 1)
      if (statusCode < 200 || statusCode > 299) return
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2)
        grown.set(latencies)
        latencies = grown
      }
      latencies[count++] = responseTime
    })
  })
}

/** Warms up (unrecorded), then measures one target. */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  if (options.warmupSeconds > 0) await runAutocannon(options, options.warmupSeconds)
  return summarise([await runAutocannon(options, options.durationSeconds)])
}

/**
 * Measures several targets in alternating slices (A B A B …), each getting its
 * `durationSeconds` in total. On a shared machine, load from elsewhere then falls on all
 * targets alike instead of skewing whichever ran during it.
 */
export async function measureAlternating(
  targets: MeasureOptions[],
  rounds: number,
): Promise<Measurement[]> {
  for (const t of targets) if (t.warmupSeconds > 0) await runAutocannon(t, t.warmupSeconds)
  const parts = targets.map((): Samples[] => [])
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      parts[i]?.push(await runAutocannon(t, t.durationSeconds / rounds))
    }
  }
  return parts.map(summarise)
}
