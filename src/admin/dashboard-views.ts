import type { ProvisioningEvent } from '../store/events.ts'
import type { TokenRecord } from '../store/tokens.ts'
import { html, page, type Html } from './html.ts'
import type { ConnectionOverview, Overview } from './overview-data.ts'

const rate = (a: { total: number; errors: number }) =>
  a.total === 0 ? '0 ops' : `${a.total} ops, ${Math.round((100 * a.errors) / a.total)}% errors`

function card(c: ConnectionOverview): Html {
  const href = `/admin/t/${encodeURIComponent(c.tenant)}/${encodeURIComponent(c.connection)}`
  return html`<section
    class="card"
    data-connection="${c.tenant}/${c.connection}"
    data-health="${c.health}"
  >
    <h2>
      <a href="${href}">${c.tenant} / ${c.connection}</a>
      <span class="state ${c.health}">${c.health}</span>
    </h2>
    <div>${c.connector} (${c.mode})</div>
    <dl>
      <dt>Last hour</dt>
      <dd>${rate(c.lastHour)}</dd>
      <dt>Last day</dt>
      <dd>${rate(c.lastDay)}</dd>
      <dt>Upstream</dt>
      <dd>
        ${c.latency ? `p50 ${Math.round(c.latency.p50)} ms, p95 ${Math.round(c.latency.p95)} ms` : '—'}
      </dd>
      <dt>Last success</dt>
      <dd>
        ${c.lastSuccess ? `${c.lastSuccess.at} ${c.lastSuccess.method} ${c.lastSuccess.subject ?? ''}` : '—'}
      </dd>
      <dt>Last failure</dt>
      <dd class="${c.lastFailure ? 'fail' : ''}">
        ${c.lastFailure ? `${c.lastFailure.at} ${c.lastFailure.method} ${c.lastFailure.subject ?? ''}: ${c.lastFailure.reason ?? ''}` : '—'}
      </dd>
    </dl>
    ${c.misconfigured ? html`<p class="warn">Misconfigured: ${c.misconfigured.reason}</p>` : html``}
    ${c.warnings.map((w) => html`<p class="warn">⚠ ${w}</p>`)}
  </section>`
}

export function overviewPage(overview: Overview, csrf: string): string {
  const reload = overview.configuration.lastReload
  const refused =
    reload && !reload.ok
      ? html`<section class="card">
          <h2 class="fail">Configuration refused on reload (${reload.at})</h2>
          <pre>${reload.problems.join('\n')}</pre>
          <p>The previous configuration stays in force.</p>
        </section>`
      : html``
  const body = html`${refused}
    <form method="post" action="/admin/reload">
      <input type="hidden" name="csrf" value="${csrf}" /><button>Reload configuration</button>
      <small
        >generation ${overview.configuration.generation}, loaded
        ${overview.configuration.loadedAt}</small
      >
    </form>
    <div class="cards">${overview.connections.map(card)}</div>
    <p><small>Updated ${overview.generatedAt}; refreshes every 15 s.</small></p>`
  return page('Overview', body, { refreshSeconds: 15, csrf })
}

/** Requests and failures per hour over the last day, as small bars. */
function chart(hours: readonly { hour: string; total: number; errors: number }[]): Html {
  const max = Math.max(1, ...hours.map((h) => h.total))
  const width = 24 * 14
  const bars = hours.map((h, i) => {
    const total = Math.round((60 * h.total) / max)
    const errors = Math.round((60 * h.errors) / max)
    return html`<g
      ><title>${h.hour}: ${h.total} ops, ${h.errors} errors</title
      ><rect x="${i * 14}" y="${64 - total}" width="11" height="${total}" fill="#9db4d6"></rect
      ><rect x="${i * 14}" y="${64 - errors}" width="11" height="${errors}" fill="#b42318"></rect
    ></g>`
  })
  return html`<svg
    role="img"
    aria-label="Requests and errors per hour"
    viewBox="0 0 ${width} 66"
    width="100%"
    height="80"
    preserveAspectRatio="none"
  >
    ${bars}
  </svg>`
}

export interface ConnectionPageData {
  overview: ConnectionOverview
  events: (ProvisioningEvent & { seq: number })[]
  hours: { hour: string; total: number; errors: number }[]
  rules: unknown
  tokens: TokenRecord[]
  filters: { outcome?: string; resource?: string; q?: string; since?: string }
  next?: number
}

export function connectionPage(data: ConnectionPageData, csrf: string): string {
  const c = data.overview
  const f = data.filters
  const base = `/admin/t/${encodeURIComponent(c.tenant)}/${encodeURIComponent(c.connection)}`
  const rows = data.events.map(
    (e) =>
      html`<tr data-outcome="${e.outcome}">
        <td>${e.at}</td>
        <td>${e.method}</td>
        <td>${e.resourceType ?? ''}</td>
        <td>${e.subject ?? ''}</td>
        <td>${e.outcome}</td>
        <td>${e.status}</td>
        <td>
          ${e.detail ?? ''}${e.ignored.length ? ` ignored: ${e.ignored.map((i) => `${i.attribute} (${i.rule})`).join(', ')}` : ''}
        </td>
        <td>
          ${e.upstream.map((u) => `${u.method} ${u.path} ${u.status} ${Math.round(u.ms)}ms`).join('; ')}
        </td>
        <td>${Math.round(e.durationMs)}</td>
      </tr>`,
  )
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries({
    ...f,
    before: data.next === undefined ? undefined : String(data.next),
  })) {
    if (v) query.set(k, v)
  }
  const body = html`<div class="cards">${card(c)}</div>
    <h3>Requests and errors, last 24 hours</h3>
    ${chart(data.hours)}
    <h3>Provisioning log</h3>
    <form class="filters" method="get" action="${base}">
      <select name="outcome">
        <option value="">any outcome</option>
        ${['created', 'updated', 'deleted', 'deactivated', 'removed', 'rejected', 'failed', 'done', 'retrying', 'dead'].map((o) => html`<option ${o === f.outcome ? html`selected` : html``}>${o}</option>`)}
      </select>
      <select name="resource">
        <option value="">any resource</option>
        ${['User', 'Group'].map((r) => html`<option ${r === f.resource ? html`selected` : html``}>${r}</option>`)}
      </select>
      <input name="q" placeholder="userName or displayName" value="${f.q ?? ''}" maxlength="200" />
      <input name="since" type="datetime-local" value="${f.since ?? ''}" />
      <button>Filter</button>
    </form>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Method</th>
            <th>Resource</th>
            <th>Who</th>
            <th>Outcome</th>
            <th>Status</th>
            <th>Reason</th>
            <th>Upstream calls</th>
            <th>ms</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>
    ${data.next ? html`<p><a href="${base}?${query.toString()}">Older entries</a></p>` : html``}
    <h3>Rules as loaded</h3>
    <pre>${JSON.stringify(data.rules, null, 2)}</pre>
    <h3>Tokens</h3>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>Prefix</th>
            <th>Label</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Revoked</th>
            <th>Last used</th>
          </tr>
        </thead>
        <tbody>
          ${data.tokens.map(
            (t) =>
              html`<tr>
                <td>${t.id}</td>
                <td>scgw_${t.prefix}</td>
                <td>${t.label ?? ''}</td>
                <td>${t.createdAt}</td>
                <td>${t.expiresAt ?? 'never'}</td>
                <td>${t.revokedAt ?? ''}</td>
                <td>${t.lastUsedAt ?? 'never'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`
  return page(`${c.tenant} / ${c.connection}`, body, { refreshSeconds: 15, csrf })
}

export function loginPage(message?: string): string {
  return page(
    'Sign in',
    html`<section class="card" style="max-width:420px;margin:2rem auto">
      <h2>Sign in</h2>
      ${message ? html`<p class="fail">${message}</p>` : html``}
      <form method="post" action="/admin/login">
        <p>
          <label
            >Admin credential<br /><input
              type="password"
              name="token"
              autocomplete="current-password"
              required
              style="width:100%"
          /></label>
        </p>
        <button>Sign in</button>
      </form>
    </section>`,
  )
}

export function notFoundPage(what: string): string {
  return page(
    'Not found',
    html`<section class="card">
      <h2>Not found</h2>
      <p>${what}</p>
      <p><a href="/admin">Back to the overview</a></p>
    </section>`,
  )
}
