import { Agent, request } from 'node:http'

export interface HttpResponse {
  status: number
  body: string
}

export interface ScimClientOptions {
  /** The SCIM base URL, e.g. http://127.0.0.1:PORT/scim/v2 */
  baseUrl: string
  token: string
  /** At most this many sockets, all kept alive between requests. */
  maxSockets: number
  timeoutMs: number
}

export interface ScimClient {
  get(path: string): Promise<HttpResponse>
  post(path: string, body: unknown): Promise<HttpResponse>
  patch(path: string, body: unknown): Promise<HttpResponse>
  close(): void
}

/**
 * node:http with a keep-alive agent rather than fetch: the bench process is also the load
 * generator, and on a small machine every cycle it spends competes with the gateway.
 */
export function createScimClient(options: ScimClientOptions): ScimClient {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets })
  const headers = { Authorization: `Bearer ${options.token}`, Accept: 'application/scim+json' }

  function send(method: string, path: string, body?: string): Promise<HttpResponse> {
    const url = new URL(options.baseUrl + path)
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent,
          headers:
            body === undefined
              ? headers
              : {
                  ...headers,
                  'Content-Type': 'application/scim+json',
                  'Content-Length': Buffer.byteLength(body),
                },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
          res.on('error', reject)
        },
      )
      req.setTimeout(options.timeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${options.timeoutMs} ms`)),
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  return {
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, JSON.stringify(body)),
    patch: (path, body) => send('PATCH', path, JSON.stringify(body)),
    close: () => agent.destroy(),
  }
}
