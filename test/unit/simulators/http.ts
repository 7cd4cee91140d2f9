/** Test helper: one JSON request against a simulator over real HTTP. */
export interface Reply {
  status: number
  headers: Headers
  body: unknown
}

export interface CallOptions {
  token?: string
  body?: unknown
  headers?: Record<string, string>
  contentType?: string
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined)
    headers['content-type'] = options.contentType ?? 'application/json'
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  }
}

/** Reads a nested value from an `unknown` JSON body: `pick(body, 'users', 0, 'email')`. */
export function pick(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}
