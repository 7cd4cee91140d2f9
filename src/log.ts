import { pino, type Logger, type DestinationStream } from 'pino'

/**
 * Structured JSON logs. Credentials are removed by configuration, not by hope: any field
 * that could carry one is redacted wherever it appears.
 */
export function createLogger(
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'token',
          '*.token',
          'password',
          '*.password',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  )
}
