export { createSimulatorApp, type SimulatorAppOptions } from './app.ts'
export { requireBearer, readCredentialKey, type SimulatorCredential } from './auth.ts'
export { isEmail, isRecord, readIntegerQuery, readQuery, type JsonObject } from './body.ts'
export { createClock, type SimulatorClock } from './clock.ts'
export {
  describeStatus,
  SimulatorHttpError,
  type CommonErrorCode,
  type ErrorFormatter,
  type FormattedError,
} from './errors.ts'
export { createFaultQueue, parseFaultSpec, type FaultQueue, type FaultSpec } from './faults.ts'
export {
  createRateLimiter,
  resolveRateLimit,
  type RateLimiter,
  type RateLimitRule,
  type RateLimitSetting,
} from './rate-limit.ts'
export {
  createRequestLog,
  readAuthScheme,
  type RequestLog,
  type RequestRecord,
} from './request-log.ts'
export {
  startSimulator,
  type SimulatorHandle,
  type StartedSimulator,
  type StartSimulatorOptions,
} from './start.ts'
