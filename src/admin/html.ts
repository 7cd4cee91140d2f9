/** Escapes text for HTML content and attribute values: names from IdPs may hold markup. */
export function escapeHtml(value: unknown): string {
  const text =
    value === undefined || value === null
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(value)
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    const rendered = Array.isArray(value)
      ? value.map((v) => (v instanceof Html ? v.text : escapeHtml(v))).join('')
      : value instanceof Html
        ? value.text
        : escapeHtml(value)
    out += rendered + (strings[i + 1] ?? '')
  })
  return new Html(out)
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:.7rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
main{padding:1rem;max-width:1200px;margin:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1rem}
.card{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002}
.card h2{font-size:1.05rem;margin:0 0 .4rem}
.state{display:inline-block;padding:.1rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;color:#fff}
.healthy{background:#1f8a4c}.degraded{background:#c27c0e}.quarantined{background:#b42318}.misconfigured{background:#7a1fa2}.idle{background:#6b7280}
dl{display:grid;grid-template-columns:auto 1fr;gap:.15rem .8rem;margin:.5rem 0}dt{color:#5b6472}dd{margin:0}
.warn{color:#8a4b00;margin:.2rem 0}.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.8rem 0}input,select,button{font:inherit;padding:.3rem .5rem}
.fail{color:#b42318}.ok{color:#1f8a4c}pre{white-space:pre-wrap;background:#fff;padding:.6rem;border-radius:6px}
`

export function page(
  title: string,
  body: Html,
  options: { refreshSeconds?: number; csrf?: string } = {},
): string {
  const refresh = options.refreshSeconds
    ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />`
    : html``
  const nav = options.csrf
    ? html`<header>
        <a href="/admin">SCIM gateway</a><span>${title}</span>
        <form method="post" action="/admin/logout">
          <input type="hidden" name="csrf" value="${options.csrf}" /><button>Sign out</button>
        </form>
      </header>`
    : html`<header><a href="/admin">SCIM gateway</a></header>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh.text}<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${nav.text}<main>${body.text}</main></body></html>`
}
