import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one structured JSON logger. Every module takes a child with its own
 * `module` context instead of writing to the console.
 */
export const rootLogger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.SERVICE_NAME ?? 'shopgraph' },
  // Defence in depth: secrets never reach a log line even if someone logs a
  // whole request or input object.
  redact: {
    paths: [
      'password',
      '*.password',
      'passwordHash',
      '*.passwordHash',
      'authorization',
      '*.authorization',
      'headers.authorization',
      'req.headers.authorization',
      'token',
      '*.token',
    ],
    censor: '[redacted]',
  },
});

/** A child logger tagged with the module it belongs to. */
export function createLogger(module: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ module, ...bindings });
}
