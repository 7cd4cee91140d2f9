import { inspect } from 'node:util'

/**
 * A resolved upstream secret. It prints as `[secret]` through JSON, string conversion and
 * `util.inspect`, so a config object that reaches a log, an error or the dashboard cannot
 * leak it; only `reveal()` gives the value, at the one place it is sent upstream.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toJSON(): string {
    return '[secret]'
  }

  toString(): string {
    return '[secret]'
  }

  [inspect.custom](): string {
    return '[secret]'
  }
}
