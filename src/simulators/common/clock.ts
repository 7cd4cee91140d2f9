/**
 * A simulator's clock. It ticks with real time from an adjustable offset, so a test can move a
 * product into the future (API key expiry, rate-limit windows) without sleeping.
 */
export interface SimulatorClock {
  now(): Date
  /** Sets the current time; the clock keeps ticking from there. */
  set(now: Date): void
  advance(seconds: number): void
  /** Back to real time. */
  reset(): void
}

export function createClock(start?: Date): SimulatorClock {
  let offsetMs = start ? start.getTime() - Date.now() : 0
  return {
    now: () => new Date(Date.now() + offsetMs),
    set: (now) => {
      offsetMs = now.getTime() - Date.now()
    },
    advance: (seconds) => {
      offsetMs += seconds * 1000
    },
    reset: () => {
      offsetMs = start ? start.getTime() - Date.now() : 0
    },
  }
}
