import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentRequest } from './request-context.js';
import { currentTraceIds } from './telemetry/trace-context.js';

export type { Logger };

/** `SERVICE_NAME` overrides the name a service's main sets (e.g. per container). */
const serviceNameOverride = process.env.SERVICE_NAME || undefined;
let processServiceName = 'shopgraph';

/**
 * Names the service this process runs (gateway, customer, inventory, order,
 * relay): the `service` field of its log lines, unless `SERVICE_NAME` is set.
 */
export function setServiceName(name: string): void {
  processServiceName = name;
}

/** The service name logs and telemetry report for this process. */
export function serviceName(): string {
  return serviceNameOverride ?? processServiceName;
}

/**
 * Fields added to every log line: the service, and while serving a request
 * its request id and the trace and span ids, so one request can be followed
 * across services. Where several services share a process, the one serving
 * the request names it.
 */
function logContext(): Record<string, string> {
  const request = currentRequest();
  const ids = currentTraceIds();
  return {
    service: serviceNameOverride ?? request?.service ?? processServiceName,
    ...(request ? { requestId: request.requestId } : {}),
    ...(ids ? { traceId: ids.traceId, spanId: ids.spanId } : {}),
  };
}

/**
 * The one structured JSON logger. Every module takes a child with its own
 * `module` context instead of writing to the console.
 */
export const loggerOptions: LoggerOptions = {
  level: process.env.LOG_LEVEL ?? 'info',
  // No pid/hostname: the platform adds where a line came from.
  base: null,
  mixin: logContext,
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
