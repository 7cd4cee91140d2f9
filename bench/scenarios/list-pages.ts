import { measure } from '../measure.ts'
import { plainRow } from '../results.ts'
import type { Scenario, ScenarioResult } from './scenario.ts'
import { describeMeasurement, randomInt, requestHeaders, splitUrl } from './target.ts'

const PAGE = 100

/** `GET /Users?startIndex=…&count=100` at random pages across every loaded user. */
export const listPages: Scenario = {
  id: 'list',
  name: `list pages of ${PAGE}`,
  async run(context): Promise<ScenarioResult> {
    const pages = Math.max(1, Math.floor(context.userNames.length / PAGE))
    const pagePath = (page: number) => `/Users?startIndex=${page * PAGE + 1}&count=${PAGE}`
    // The last page must be full too, or later pages would measure smaller answers.
    const check = await context.client.get(pagePath(pages - 1))
    const body = JSON.parse(check.body) as { Resources?: unknown[] }
    if (
      check.status !== 200 ||
      body.Resources?.length !== Math.min(PAGE, context.userNames.length)
    ) {
      throw new Error(`the last page answered ${check.status}: ${check.body.slice(0, 500)}`)
    }
    const { origin, basePath } = splitUrl(context.gateway.url)
    const m = await measure({
      origin,
      headers: requestHeaders(context),
      connections: context.options.connections,
      durationSeconds: context.options.durationSeconds,
      warmupSeconds: context.options.warmupSeconds,
      nextPath: () => basePath + pagePath(randomInt(pages)),
    })
    context.log(`  ${describeMeasurement('gateway', m)}`)
    return {
      rows: [
        plainRow('users.list.page100.rps', m.rps, 'req/s'),
        plainRow('users.list.page100.p50', m.p50, 'ms'),
        plainRow('users.list.page100.p99', m.p99, 'ms'),
      ],
      notes: [],
    }
  },
}
