import type { ScimError } from '../scim/errors.ts'
import {
  badGateway,
  forbidden,
  gatewayTimeout,
  invalidValue,
  endpointNotFound,
  serviceUnavailable,
  tooManyRequests,
  uniqueness,
} from '../scim/errors.ts'

/**
 * An upstream call that did not succeed. `definite` says the product certainly did not act
 * (it answered with a refusal, or was never reached); otherwise the outcome is unknown and a
 * create must be reconciled by the product's key before anything is created again.
 */
export class UpstreamFailure extends Error {
  readonly scimError: ScimError
  readonly definite: boolean
  /** Set when the product refused our own credential: the connection is misconfigured. */
  readonly misconfigured: boolean

  constructor(scimError: ScimError, definite: boolean, misconfigured = false) {
    super(scimError.detail)
    this.name = 'UpstreamFailure'
    this.scimError = scimError
    this.definite = definite
    this.misconfigured = misconfigured
  }
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g

/** The product's own words, kept short and printable; never a whole upstream body. */
export function sanitise(text: string | undefined, max = 200): string | undefined {
  if (!text) return undefined
  // C0 and C1 controls and bidirectional overrides could disguise a detail where it is shown.
  const clean = text.replace(UNPRINTABLE, ' ').trim()
  const chars = Array.from(clean)
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : clean
}

export interface UpstreamAnswer {
  status: number
  retryAfterSeconds?: number
  /** The product's error code or message, already sanitised. */
  message?: string
}

/**
 * The one mapping from product answers to SCIM errors (DESIGN.md, "Upstream failures"). The
 * IdP's own token is fine whenever this runs, so a product refusing our credential is never
 * a 401 to the IdP.
 */
export function mapUpstreamAnswer(
  product: string,
  answer: UpstreamAnswer,
  resource = 'resource',
  preconditions: readonly { match: string; need: string }[] = [],
): UpstreamFailure {
  const said = answer.message ? `: ${answer.message}` : ''
  const { status } = answer
  const text = answer.message?.toLowerCase() ?? ''
  const unmet = preconditions.find((p) => text.includes(p.match.toLowerCase()))
  if (unmet && status >= 400 && status < 500) {
    // The account is not set up for provisioning: nothing the IdP can fix by retrying.
    return new UpstreamFailure(
      forbidden(`${product} cannot provision yet: ${unmet.need} (${status}${said})`),
      true,
      true,
    )
  }
  if (status === 401 || status === 403) {
    return new UpstreamFailure(
      badGateway(
        `${product} refused the gateway's credential (${status}); the connection is misconfigured${said}`,
      ),
      true,
      true,
    )
  }
  if (status === 402)
    return new UpstreamFailure(
      forbidden(`${product} refused for plan or licence reasons${said}`),
      true,
    )
  if (status === 404) {
    return new UpstreamFailure(endpointNotFound(`${product} has no such ${resource}${said}`), true)
  }
  if (status === 409)
    return new UpstreamFailure(uniqueness(`${product} already has this ${resource}${said}`), true)
  if (status === 429) {
    return new UpstreamFailure(
      tooManyRequests(`${product} is rate limiting the gateway`, answer.retryAfterSeconds ?? 30),
      true,
    )
  }
  if (status >= 500)
    return new UpstreamFailure(badGateway(`${product} failed (${status})${said}`), false)
  return new UpstreamFailure(
    invalidValue(`${product} refused the request (${status})${said}`),
    true,
  )
}

export const unreachable = (product: string, reachedProduct: boolean) =>
  new UpstreamFailure(badGateway(`${product} is unreachable`), !reachedProduct)

export const timedOut = (product: string) =>
  new UpstreamFailure(gatewayTimeout(`${product} did not answer in time`), false)

export const quarantined = (product: string, retryAfterSeconds: number) =>
  new UpstreamFailure(
    serviceUnavailable(
      `The connection to ${product} is quarantined after repeated failures`,
      retryAfterSeconds,
    ),
    true,
  )

export const overBudget = (product: string, retryAfterSeconds: number) =>
  new UpstreamFailure(
    tooManyRequests(`The gateway's request budget for ${product} is spent`, retryAfterSeconds),
    true,
  )

/**
 * Runs upstream steps for a connection: success clears a misconfigured mark, a product failure
 * becomes its SCIM error (marking the connection when the product refused our credential).
 */
export function createUpstreamStep(
  onMisconfigured: (reason: string) => void,
  onHealthy: () => void,
): <T>(step: () => Promise<T>) => Promise<T> {
  return async (step) => {
    try {
      const result = await step()
      onHealthy()
      return result
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err
      if (err.misconfigured) onMisconfigured(err.scimError.detail)
      throw err.scimError
    }
  }
}
