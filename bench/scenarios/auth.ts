import { measureAlternating } from '../measure.ts'
import { higherIsBetter, lowerIsBetter } from '../results.ts'
import type { BenchContext, Scenario, ScenarioResult } from './scenario.ts'
import { describeMeasurement } from './target.ts'
import { filterQuery, filterTarget } from './user-name-filter.ts'

/** A sibling gateway's gateway.yaml addition: every request resolves its token in the database. */
const UNCACHED = 'auth:\n  tokenCacheSeconds: 0'

/** One answer from the sibling, so a gateway that refuses the token fails with its words. */
async function checkFilter(context: BenchContext, url: string): Promise<void> {
  const res = await fetch(`${url}${filterQuery(context.userNames[0] ?? '')}`, {
    headers: { authorization: `Bearer ${context.gateway.token}` },
  })
  const text = await res.text()
  if (res.status !== 200 || !text.includes('"totalResults":1')) {
    throw new Error(`the uncached gateway answered ${res.status}: ${text.slice(0, 500)}`)
  }
}

/**
 * The cost of authentication: the userName filter on the gateway as configured (a resolved
 * token is cached, 2 s by default) vs a second gateway process on the same tenant files and
 * SQLite file with `auth.tokenCacheSeconds: 0`, which looks the token up on every request.
 */
export const authCost: Scenario = {
  id: 'auth',
  name: 'userName filter, token cached vs resolved from the database every request',
  async run(context): Promise<ScenarioResult> {
    const sibling = await context.gateway.startSibling('auth-uncached', UNCACHED)
    context.log(`  uncached gateway ${sibling.url} (pid ${sibling.pid}), tokenCacheSeconds: 0`)
    const measured = await checkFilter(context, sibling.url)
      .then(() =>
        measureAlternating(
          [filterTarget(context, context.gateway.url), filterTarget(context, sibling.url)],
          context.options.rounds,
        ),
      )
      .finally(() => sibling.stop())
    const [cached, uncached] = measured
    if (!cached || !uncached) throw new Error('expected two measurements')
    context.log(`  ${describeMeasurement('cached', cached)}`)
    context.log(`  ${describeMeasurement('uncached', uncached)}`)
    const ratio = cached.rps / uncached.rps
    const perRequestMs = 1000 / uncached.rps - 1000 / cached.rps
    return {
      rows: [
        higherIsBetter('auth.filter.cached.rps', cached.rps, uncached.rps, 'req/s'),
        lowerIsBetter('auth.filter.cached.p50', cached.p50, uncached.p50, 'ms'),
        lowerIsBetter('auth.filter.cached.p99', cached.p99, uncached.p99, 'ms'),
      ],
      notes: [
        `auth: baseline = a second gateway on the same SQLite file with tokenCacheSeconds: 0. ` +
          `req/s cached ÷ uncached: ${ratio.toFixed(2)} (≥ 1 expected; higher means the token ` +
          `cache buys more, i.e. it is better for the default setting; near 1 means resolving ` +
          `the token from SQLite costs little); ≈ ${perRequestMs.toFixed(3)} ms more per ` +
          `request uncached (difference of 1/rps)`,
      ],
    }
  },
}
