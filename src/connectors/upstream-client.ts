import http from 'node:http'
import https from 'node:https'
import type { RequestTrace } from '../scim/types.ts'
import type { CircuitBreaker } from './circuit-breaker.ts'
import type { RateBudget } from './rate-budget.ts'
import {
  mapUpstreamAnswer,
  overBudget,
  quarantined,
  sanitise,
  timedOut,
  unreachable,
  UpstreamFailure,
} from './upstream-errors.ts'

export interface UpstreamRequest {
  method: string
  /** Path below the connection's base URL, query included. */
  path: string
  body?: unknown
  headers?: Record<string, string>
  /**
   * Whether sending it twice does no harm. Non-idempotent requests (creates) are retried
   * only when the product certainly did not act on them (429, connection refused).
   */
  idempotent: boolean
}

export interface UpstreamResponse {
  status: number
  /** A response header's value (the first, when repeated), or null. */
  header: (name: string) => string | null
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  body: unknown
}

/** One attempt, as the provisioning log shows it (status, or timeout / unreachable / …). */
export type UpstreamCall = RequestTrace['upstream'][number]

export interface UpstreamClientOptions {
  product: string
  /** Refusals that mean the product's account is not set up for provisioning. */
  preconditions?: readonly { match: string; need: string }[]
  baseUrl: string
  /** Called per request so the credential is revealed only at the moment it is sent. */
  headers: () => Record<string, string>
  breaker: CircuitBreaker
  budget: RateBudget
  timeoutMs: number
  maxRetries: number
  /** Longest Retry-After the gateway waits inside an IdP's request; longer ones are passed on. */
  maxRetryWaitMs: number
  /** Reads a product error body's code/message for error details. */
  describeError: (body: unknown) => string | undefined
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** Keep-alive agent for the product's origin, shared by the connection's clients. */
  agent?: http.Agent
  random?: () => number
}

/** RFC 9110 §10.2.3: seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  // Anything else must be an HTTP date (it names a weekday or month); `-5` or `1.5` is invalid.
  if (!/[a-z]/i.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

type Attempt =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; reachedProduct: boolean }

/**
 * Calls one connection's product: within its rate and concurrency budget, behind its
 * circuit breaker, with timeouts and bounded retries that honour `Retry-After`.
 */
export function createUpstreamClient(options: UpstreamClientOptions) {
  const random = options.random ?? Math.random

  const target = new URL(options.baseUrl)
  const transport = target.protocol === 'https:' ? https : http

  /**
   * One request over node:http with the connection's keep-alive agent (a buffered body and
   * no web streams: the request path stays cheap).
   */
  function attempt(request: UpstreamRequest): Promise<Attempt> {
    const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body))
    return new Promise((resolve) => {
      let sent = false
      const req = transport.request(
        `${options.baseUrl}${request.path}`,
        {
          method: request.method,
          agent: options.agent,
          timeout: options.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
            ...options.headers(),
            ...request.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', () => resolve({ kind: 'unreachable', reachedProduct: true }))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown = text === '' ? undefined : text
            try {
              if (text !== '') parsed = JSON.parse(text)
            } catch {
              // Not JSON: keep the text for the error detail.
            }
            const header = (name: string) => {
              const value = res.headers[name]
              return Array.isArray(value) ? (value[0] ?? null) : (value ?? null)
            }
            resolve({
              kind: 'response',
              response: { status: res.statusCode ?? 0, header, body: parsed },
            })
          })
        },
      )
      req.on('finish', () => (sent = true))
      req.on('timeout', () => {
        req.destroy()
        resolve({ kind: 'timeout' })
      })
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Refused or unresolvable: the request never reached the product.
        const neverSent =
          !sent &&
          (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
        resolve({ kind: 'unreachable', reachedProduct: !neverSent })
      })
      req.end(body)
    })
  }

  function backoff(n: number): number {
    const base = Math.min(2_000, 100 * 2 ** n)
    return Math.round(base * (0.5 + random() / 2))
  }

  return {
    product: options.product,
    preconditions: options.preconditions ?? [],
    /** Reads a product error body's words (with the connection's credential redacted). */
    describeError: options.describeError,

    /**
     * Sends a request; resolves with any answer below 500 (callers decide what a 404 or 409
     * means) and throws UpstreamFailure for what retries could not mend.
     */
    async send(request: UpstreamRequest, calls: UpstreamCall[]): Promise<UpstreamResponse> {
      const log = (status: UpstreamCall['status'], started: number, n: number) =>
        calls.push({
          method: request.method,
          path: request.path.split('?')[0] ?? '',
          status,
          ms: options.now() - started,
          attempt: n + 1,
        })
      for (let n = 0; ; n++) {
        const admitted = options.breaker.admit()
        if (!admitted.ok) {
          log('quarantined', options.now(), n)
          throw quarantined(options.product, admitted.retryAfterSeconds)
        }
        const release = await options.budget.acquire(options.maxRetryWaitMs)
        if (!release) {
          options.breaker.released()
          log('over-budget', options.now(), n)
          throw overBudget(options.product, Math.max(1, Math.ceil(options.maxRetryWaitMs / 1000)))
        }
        const started = options.now()
        let result: Attempt
        try {
          result = await attempt(request)
        } finally {
          release()
        }
        const retriesLeft = n < options.maxRetries
        if (result.kind === 'timeout') {
          log('timeout', started, n)
          options.breaker.failed()
          if (request.idempotent && retriesLeft) {
            await options.sleep(backoff(n))
            continue
          }
          throw timedOut(options.product)
        }
        if (result.kind === 'unreachable') {
          log('unreachable', started, n)
          options.breaker.failed()
          if ((request.idempotent || !result.reachedProduct) && retriesLeft) {
            await options.sleep(backoff(n))
            continue
          }
          throw unreachable(options.product, result.reachedProduct)
        }
        const { response } = result
        log(response.status, started, n)
        if (response.status === 429) {
          // Rate limited is not unwell: the product answered.
          options.breaker.succeeded()
          const retryAfter = parseRetryAfter(response.header('retry-after'), Date.now())
          const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoff(n)
          options.budget.pause(waitMs)
          // A 429 means the product did not act: safe to resend even a create.
          if (retriesLeft && waitMs <= options.maxRetryWaitMs) {
            await options.sleep(waitMs)
            continue
          }
          throw mapUpstreamAnswer(options.product, {
            status: 429,
            ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
          })
        }
        if (response.status >= 500) {
          options.breaker.failed()
          if (request.idempotent && retriesLeft) {
            await options.sleep(backoff(n))
            continue
          }
          const message = sanitise(options.describeError(response.body))
          throw mapUpstreamAnswer(options.product, {
            status: response.status,
            ...(message ? { message } : {}),
          })
        }
        // Any answer below 500 means the product is up, whatever it thought of the request.
        options.breaker.succeeded()
        return response
      }
    },
  }
}

export type UpstreamClient = ReturnType<typeof createUpstreamClient>

/** Throws the mapped SCIM error for any answer that is not a success. */
export function requireSuccess(
  client: UpstreamClient,
  response: UpstreamResponse,
  describe: (body: unknown) => string | undefined,
  resource = 'resource',
): void {
  if (response.status >= 200 && response.status < 300) return
  const message = sanitise(describe(response.body))
  throw mapUpstreamAnswer(
    client.product,
    { status: response.status, ...(message ? { message } : {}) },
    resource,
    client.preconditions,
  )
}

export { UpstreamFailure }
