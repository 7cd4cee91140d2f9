/**
 * Start-up and configuration errors: a stable `ERR_*` code (listed in the README) and a
 * message that says how to fix it. Requests never see these; they get ScimErrors.
 */
export type GatewayErrorCode =
  'ERR_CONFIG_INVALID' | 'ERR_TOKEN_SCOPE' | 'ERR_OUTBOX_JOB' | 'ERR_SELF_TEST'

export class GatewayError extends Error {
  readonly code: GatewayErrorCode

  constructor(code: GatewayErrorCode, message: string) {
    super(message)
    this.name = 'GatewayError'
    this.code = code
  }
}
