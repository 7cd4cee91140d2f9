import { startBaseline } from '../baseline.ts'
import { measureAlternating, type MeasureOptions } from '../measure.ts'
import { higherIsBetter, lowerIsBetter } from '../results.ts'
import type { BenchContext, Scenario, ScenarioResult } from './scenario.ts'
import { describeMeasurement, randomInt, requestHeaders, splitUrl } from './target.ts'

/** DESIGN.md: the userName lookup should stay at half of bare express or better. */
const TARGET_RATIO = 0.5

export const filterQuery = (userName: string) =>
  `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`

/** One real answer, checked, so the baseline can serve the same bytes. */
async function sampleAnswer(context: BenchContext): Promise<string> {
  const userName = context.userNames[0]
  if (userName === undefined) throw new Error('no users loaded')
  const res = await context.client.get(filterQuery(userName))
  const body = JSON.parse(res.body) as { totalResults?: unknown }
  if (res.status !== 200 || body.totalResults !== 1) {
    throw new Error(`filter on ${userName} answered ${res.status}: ${res.body}`)
  }
  return res.body
}

/** The filter on a random loaded user, against the gateway (or baseline) at `url`. */
export function filterTarget(context: BenchContext, url: string): MeasureOptions {
  const { origin, basePath } = splitUrl(url)
  const users = context.userNames
  return {
    origin,
    headers: requestHeaders(context),
    connections: context.options.connections,
    durationSeconds: context.options.durationSeconds,
    warmupSeconds: context.options.warmupSeconds,
    nextPath: () => basePath + filterQuery(users[randomInt(users.length)] ?? ''),
  }
}

/** `GET /Users?filter=userName eq "<random user>"`, against the gateway and bare express. */
export const userNameFilter: Scenario = {
  id: 'filter',
  name: 'userName filter vs bare express',
  async run(context): Promise<ScenarioResult> {
    const answer = await sampleAnswer(context)
    context.log(`  one answer is ${Buffer.byteLength(answer)} bytes; starting the baseline`)
    const baseline = await startBaseline(context.processes, {
      root: context.root,
      dir: context.dir,
      answer,
      timeoutMs: context.options.timeoutMs,
    })
    const measured = await measureAlternating(
      [filterTarget(context, context.gateway.url), filterTarget(context, baseline.url)],
      context.options.rounds,
    ).finally(() => baseline.stop())
    const [gw, base] = measured
    if (!gw || !base) throw new Error('expected two measurements')
    context.log(`  ${describeMeasurement('gateway', gw)}`)
    context.log(`  ${describeMeasurement('baseline', base)}`)
    const ratio = gw.rps / base.rps
    const verdict = ratio >= TARGET_RATIO ? 'met' : 'NOT met'
    return {
      rows: [
        higherIsBetter('users.filter.userName.rps', gw.rps, base.rps, 'req/s'),
        lowerIsBetter('users.filter.userName.p50', gw.p50, base.p50, 'ms'),
        lowerIsBetter('users.filter.userName.p99', gw.p99, base.p99, 'ms'),
      ],
      notes: [
        `userName filter req/s, gateway ÷ bare express: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}): ${verdict}`,
      ],
    }
  },
}
