import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The one structured JSON logger. Every module takes a child with its own
 * `module` context instead of writing to the console.
 */
export const loggerOptions: LoggerOptions = {
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.SERVICE_NAME ?? 'shopgraph' },
  // Defence in depth: secrets never reach a log line even if someone logs a
  // whole request or input object.
  redact: {
    paths: [
      'password',
      '*.password',
      '*.*.password',
      'passwordHash',
      'password_hash',
      '*.password_hash',
      '*.*.password_hash',
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
};

export const rootLogger: Logger = pino(loggerOptions);

/** A child logger tagged with the module it belongs to. */
export function createLogger(module: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ module, ...bindings });
}
