import type { Measurement } from '../measure.ts'
import type { BenchContext } from './scenario.ts'

/** The gateway's origin and SCIM base path, from its printed URL. */
export function splitUrl(url: string): { origin: string; basePath: string } {
  const parsed = new URL(url)
  return { origin: parsed.origin, basePath: parsed.pathname.replace(/\/$/, '') }
}

/** The headers every benchmark request carries, to the gateway and to its baseline alike. */
export function requestHeaders(context: BenchContext): Record<string, string> {
  return {
    authorization: `Bearer ${context.gateway.token}`,
    accept: 'application/scim+json',
  }
}

export function randomInt(below: number): number {
  return Math.floor(Math.random() * below)
}

export function describeMeasurement(label: string, m: Measurement): string {
  return `${label}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms (${m.requests} requests)`
}
