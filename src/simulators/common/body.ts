/** Narrowing helpers for request bodies, which arrive as `unknown`. */

export type JsonObject = Record<string, unknown>

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An email with a local part and a dotted domain: `a@b.c`. */
export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value)
}

/** A query parameter as one string (`?a=1&a=2` → the first), or undefined. */
export function readQuery(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

/** A non-negative integer query parameter; `undefined` when absent, `NaN` when malformed. */
export function readIntegerQuery(value: unknown): number | undefined {
  const text = readQuery(value)
  if (text === undefined) return undefined
  return /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN
}
