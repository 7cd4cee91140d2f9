import { SimulatorHttpError, type ErrorFormatter } from '../common/errors.ts'

/**
 * Integer `error_code`s [A code]: `10000 + status × 10 + reason`, so the HTTP status can be read
 * back from the code and each reason keeps one stable number.
 */
export const CLUMIO_ERROR_CODES: Readonly<Record<string, number>> = {
  invalid_request: 14000,
  invalid_json: 14001,
  invalid_filter: 14002,
  invalid_paging: 14003,
  invalid_email: 14004,
  email_immutable: 14005,
  unknown_reference: 14006,
  invalid_condition: 14007,
  unauthorized: 14010,
  auto_provisioning_enabled: 14030,
  user_disabled: 14031,
  not_found: 14040,
  not_acceptable: 14060,
  already_exists: 14090,
  last_super_admin: 14091,
  super_admin_rule_required: 14092,
  in_use: 14093,
  already_confirmed: 14094,
  rate_limit_exceeded: 14290,
  internal_error: 15000,
}

/** Codes without an entry of their own (injected faults) fall back to the status's base. */
export function clumioErrorCode(error: SimulatorHttpError): number {
  return CLUMIO_ERROR_CODES[error.code] ?? 10000 + error.status * 10
}

/** Errors `{"errors":[{"error_code", "error_message"}]}` (PRODUCTS.md §2, C2). */
export const formatClumioError: ErrorFormatter = (error) => ({
  body: { errors: [{ error_code: clumioErrorCode(error), error_message: error.message }] },
  contentType: 'application/json',
})

export function badRequest(code: string, message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, code, message)
}

export function notFound(message: string): SimulatorHttpError {
  return new SimulatorHttpError(404, 'not_found', message)
}

export function conflict(code: string, message: string): SimulatorHttpError {
  return new SimulatorHttpError(409, code, message)
}
