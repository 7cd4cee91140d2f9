import type { ErrorFormatter } from '../common/errors.ts'

const FAULT_CODES: Record<number, string> = {
  429: 'rate_limit_exceeded',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
}

/** Errors `{errorCode, message}` (PRODUCTS.md §4 [A]). */
export const formatTresoritError: ErrorFormatter = (error) => ({
  body: {
    errorCode:
      error.code === 'injected_fault'
        ? (FAULT_CODES[error.status] ?? 'request_failed')
        : error.code,
    message: error.message,
  },
  contentType: 'application/json',
})
