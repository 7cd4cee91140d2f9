import { expect } from 'chai'
import {
  createCircuitBreaker,
  type CircuitBreaker,
} from '../../../src/connectors/circuit-breaker.ts'

const COOLDOWN_MS = 30_000

/** A breaker on a clock the test moves by hand. */
function breakerWith(failureThreshold = 3): {
  breaker: CircuitBreaker
  advance: (ms: number) => void
} {
  let now = 1_000_000
  const breaker = createCircuitBreaker({ failureThreshold, cooldownMs: COOLDOWN_MS }, () => now)
  return { breaker, advance: (ms) => (now += ms) }
}

/** Admits one request and records `outcome` for it, as the upstream client does. */
function request(breaker: CircuitBreaker, outcome: 'succeeded' | 'failed' | 'released'): void {
  expect(breaker.admit().ok, 'the request is admitted').to.equal(true)
  breaker[outcome]()
}

/** Opens the breaker and waits out its cooldown: the next request is the probe. */
function halfOpen(): { breaker: CircuitBreaker; advance: (ms: number) => void } {
  const made = breakerWith(1)
  request(made.breaker, 'failed')
  made.advance(COOLDOWN_MS)
  expect(made.breaker.state()).to.equal('half-open')
  return made
}

describe('connectors/circuit-breaker', () => {
  describe('closed', () => {
    it('starts closed and admits requests', () => {
      const { breaker } = breakerWith()
      expect(breaker.state()).to.equal('closed')
      expect(breaker.admit()).to.deep.equal({ ok: true })
    })

    it('stays closed below failureThreshold consecutive failures', () => {
      const { breaker } = breakerWith(3)
      request(breaker, 'failed')
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('closed')
      expect(breaker.admit().ok).to.equal(true)
    })

    it('opens at failureThreshold consecutive failures', () => {
      const { breaker } = breakerWith(3)
      for (let n = 0; n < 3; n++) request(breaker, 'failed')
      expect(breaker.state()).to.equal('open')
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 30 })
    })

    it('counts only consecutive failures: a success starts the count again', () => {
      const { breaker } = breakerWith(3)
      request(breaker, 'failed')
      request(breaker, 'failed')
      request(breaker, 'succeeded')
      request(breaker, 'failed')
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('closed')
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('open')
    })

    it('does not count a released request (a 4xx) as a failure', () => {
      const { breaker } = breakerWith(2)
      request(breaker, 'failed')
      for (let n = 0; n < 10; n++) request(breaker, 'released')
      expect(breaker.state()).to.equal('closed')
      expect(breaker.admit().ok).to.equal(true)
    })

    it('never opens on released requests alone', () => {
      const { breaker } = breakerWith(1)
      for (let n = 0; n < 10; n++) request(breaker, 'released')
      expect(breaker.state()).to.equal('closed')
    })
  })

  describe('open', () => {
    it('refuses every request until the cooldown is over, saying how long to wait', () => {
      const { breaker, advance } = breakerWith(1)
      request(breaker, 'failed')
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 30 })
      advance(10_000)
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 20 })
      advance(19_001)
      expect(breaker.state()).to.equal('open')
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 1 })
    })

    it('rounds the wait up to whole seconds, never below one', () => {
      const { breaker, advance } = breakerWith(1)
      request(breaker, 'failed')
      advance(500)
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 30 })
      advance(29_499)
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 1 })
    })
  })

  describe('half-open', () => {
    it('lets exactly one probe through after the cooldown', () => {
      const { breaker } = halfOpen()
      expect(breaker.admit()).to.deep.equal({ ok: true })
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 1 })
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 1 })
    })

    it('closes when the probe succeeds', () => {
      const { breaker } = halfOpen()
      request(breaker, 'succeeded')
      expect(breaker.state()).to.equal('closed')
      for (let n = 0; n < 3; n++) expect(breaker.admit().ok).to.equal(true)
    })

    it('re-opens for a whole cooldown when the probe fails', () => {
      const { breaker, advance } = halfOpen()
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('open')
      expect(breaker.admit()).to.deep.equal({ ok: false, retryAfterSeconds: 30 })
      advance(COOLDOWN_MS - 1)
      expect(breaker.admit().ok).to.equal(false)
      advance(1)
      expect(breaker.admit()).to.deep.equal({ ok: true })
    })

    it('re-opens on a failed probe even when the threshold is several failures', () => {
      const { breaker, advance } = breakerWith(5)
      for (let n = 0; n < 5; n++) request(breaker, 'failed')
      advance(COOLDOWN_MS)
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('open')
    })

    it('counts failures afresh after a probe closed it', () => {
      const { breaker, advance } = breakerWith(2)
      request(breaker, 'failed')
      request(breaker, 'failed')
      advance(COOLDOWN_MS)
      request(breaker, 'succeeded')
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('closed')
      request(breaker, 'failed')
      expect(breaker.state()).to.equal('open')
    })

    it('does not re-open when the probe is answered with a 4xx (released)', () => {
      const { breaker } = halfOpen()
      request(breaker, 'released')
      expect(breaker.state()).not.to.equal('open')
      expect(breaker.admit().ok).to.equal(true)
    })

    it('goes through the whole cycle: closed, open, half-open, open, half-open, closed', () => {
      const { breaker, advance } = breakerWith(2)
      const seen = [breaker.state()]
      request(breaker, 'failed')
      request(breaker, 'failed')
      seen.push(breaker.state())
      advance(COOLDOWN_MS)
      seen.push(breaker.state())
      request(breaker, 'failed')
      seen.push(breaker.state())
      advance(COOLDOWN_MS)
      seen.push(breaker.state())
      request(breaker, 'succeeded')
      seen.push(breaker.state())
      expect(seen).to.deep.equal(['closed', 'open', 'half-open', 'open', 'half-open', 'closed'])
    })
  })
})
