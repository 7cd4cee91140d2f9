import { expect } from 'chai'
import { createRateBudget, type RateBudget } from '../../../src/connectors/rate-budget.ts'

/**
 * A fake clock whose `sleep` resolves in simulated time: when every task is waiting, time
 * jumps to the earliest wake-up. Nothing here waits on the wall clock.
 */
function fakeClock() {
  let t = 0
  let ticking = false
  const timers: { at: number; wake: () => void }[] = []
  const sleeps: number[] = []
  function schedule() {
    if (ticking || timers.length === 0) return
    ticking = true
    setImmediate(() => {
      ticking = false
      timers.sort((a, b) => a.at - b.at)
      const next = timers.shift()
      if (next) {
        t = Math.max(t, next.at)
        next.wake()
      }
      schedule()
    })
  }
  return {
    now: () => t,
    sleeps,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        sleeps.push(ms)
        timers.push({ at: t + ms, wake })
        schedule()
      }),
  }
}

type Clock = ReturnType<typeof fakeClock>

function budgetOf(
  requestsPerMinute: number,
  concurrency: number,
): { budget: RateBudget; clock: Clock } {
  const clock = fakeClock()
  return {
    budget: createRateBudget({ requestsPerMinute, concurrency }, clock.now, clock.sleep),
    clock,
  }
}

/** Acquires and releases at once, as fast as the budget allows, until `untilMs`. */
async function greedyCaller(budget: RateBudget, clock: Clock, untilMs: number): Promise<number[]> {
  const times: number[] = []
  while (clock.now() < untilMs) {
    const release = await budget.acquire(120_000)
    if (!release) throw new Error('a two-minute wait was refused')
    if (clock.now() >= untilMs) break
    times.push(clock.now())
    release()
  }
  return times
}

/** The most requests sent in any 60 s window that starts at one of `times` (from `from` on). */
function busiestMinute(times: readonly number[], from = 0): number {
  let busiest = 0
  for (let i = from; i < times.length; i++) {
    const start = times[i] ?? 0
    busiest = Math.max(busiest, times.filter((t) => t >= start && t < start + 60_000).length)
  }
  return busiest
}

describe('connectors/rate-budget', () => {
  describe('rate', () => {
    it('lets a whole minute of requests through at once, then waits for the window', async () => {
      const { budget, clock } = budgetOf(120, 1000)
      for (let n = 0; n < 120; n++)
        expect(await budget.acquire(0), `request ${n + 1}`).to.be.a('function')
      expect(clock.sleeps).to.deep.equal([])
      expect(await budget.acquire(0)).to.equal(undefined)
      const started = clock.now()
      expect(await budget.acquire(120_000)).to.be.a('function')
      expect(clock.now() - started).to.equal(60_000)
    })

    for (const rpm of [1, 7, 120, 200]) {
      it(`never sends more than ${rpm} in any 60-second window`, async () => {
        const { budget, clock } = budgetOf(rpm, 1000)
        const times = await greedyCaller(budget, clock, 5 * 60_000)
        expect(busiestMinute(times)).to.be.at.most(rpm)
      })

      it(`holds the long-run rate at ${rpm}/min`, async () => {
        const { budget, clock } = budgetOf(rpm, 1000)
        const times = await greedyCaller(budget, clock, 10 * 60_000)
        expect(times.length).to.equal(10 * rpm)
      })
    }

    it("never sleeps past the caller's deadline", async () => {
      const { budget, clock } = budgetOf(10, 100)
      for (let n = 0; n < 10; n++) await budget.acquire(0)
      const started = clock.now()
      expect(await budget.acquire(400)).to.equal(undefined)
      expect(clock.now() - started).to.be.at.most(400)
    })
  })

  describe('concurrency', () => {
    for (const concurrency of [1, 2, 4]) {
      it(`never has more than ${concurrency} in flight`, async () => {
        const { budget, clock } = budgetOf(6000, concurrency)
        let inFlight = 0
        let most = 0
        const task = async () => {
          const release = await budget.acquire(60_000)
          if (!release) throw new Error('refused')
          inFlight += 1
          most = Math.max(most, inFlight)
          await clock.sleep(100)
          inFlight -= 1
          release()
        }
        await Promise.all(Array.from({ length: 12 }, task))
        expect(most).to.equal(concurrency)
        expect(inFlight).to.equal(0)
      })
    }

    it('makes a request wait for a slot and go as soon as one is released', async () => {
      const { budget, clock } = budgetOf(6000, 1)
      const first = await budget.acquire(0)
      let second: (() => void) | undefined
      const waiting = budget.acquire(60_000).then((release) => (second = release))
      await clock.sleep(1_000)
      expect(second).to.equal(undefined)
      first?.()
      await waiting
      expect(second).to.be.a('function')
    })

    it('gives up after maxWaitMs when no slot frees up', async () => {
      const { budget, clock } = budgetOf(6000, 1)
      const held = await budget.acquire(0)
      const started = clock.now()
      expect(await budget.acquire(100)).to.equal(undefined)
      expect(clock.now() - started).to.be.at.most(100)
      held?.()
      expect(await budget.acquire(0)).to.be.a('function')
    })

    it('frees one slot however many times a release is called', async () => {
      const { budget } = budgetOf(6000, 2)
      const a = await budget.acquire(0)
      await budget.acquire(0)
      a?.()
      a?.()
      a?.()
      expect(await budget.acquire(0)).to.be.a('function')
      expect(await budget.acquire(50)).to.equal(undefined)
    })
  })

  describe('pause', () => {
    it("holds every request of the connection until a 429's Retry-After has passed", async () => {
      const { budget, clock } = budgetOf(6000, 100)
      await budget.acquire(0)
      budget.pause(2_000)
      expect(await budget.acquire(1_999)).to.equal(undefined)
      const paused = clock.now()
      const times: number[] = []
      await Promise.all(
        Array.from({ length: 3 }, async () => {
          await budget.acquire(60_000)
          times.push(clock.now())
        }),
      )
      for (const t of times) expect(t).to.be.at.least(2_000)
      expect(paused).to.be.below(2_000)
    })
  })
})
