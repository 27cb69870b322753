import { z } from 'zod';
import { env } from '../config.js';
import { createLogger } from '../logger.js';
import { AmqpTransport, DEFAULT_CONFIRM_TIMEOUT_MS } from './amqp-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import type { RelayOptions } from './relay.js';
import type { DeliveryOptions, EventTransport } from './transport.js';

const log = createLogger('events');

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** Event settings every subgraph process reads from its environment (README: Configuration). */
export const eventsEnv = {
  AMQP_URL: z
    .string()
    .refine((value) => /^amqps?:\/\//.test(value) && URL.canParse(value), {
      message: 'must be an amqp:// or amqps:// URL',
    })
    .optional(),
  EVENTS_EXCHANGE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, ".", "_" or "-"')
    .default('shopgraph.events'),
  EVENTS_PREFETCH: positiveInt(20, 1000),
  EVENTS_MAX_ATTEMPTS: positiveInt(5, 10),
  EVENTS_RETRY_BASE_DELAY_MS: positiveInt(1000, 3_600_000),
  OUTBOX_RELAY: env.bool(true),
  OUTBOX_BATCH_SIZE: positiveInt(200, 5000),
  OUTBOX_CONFIRM_TIMEOUT_MS: positiveInt(DEFAULT_CONFIRM_TIMEOUT_MS, 600_000),
  OUTBOX_POLL_INTERVAL_MS: positiveInt(1000, 60_000),
  OUTBOX_RETENTION_HOURS: positiveInt(168, 24 * 365),
  EVENT_CONSUMERS: env.bool(true),
  EVENTS_INBOX_RETENTION_DAYS: positiveInt(30, 3650),
};

export type EventsEnv = z.infer<z.ZodObject<typeof eventsEnv>>;

/** The transport settings of a parsed environment. */
export function deliveryOptions(config: EventsEnv): DeliveryOptions {
  return {
    exchange: config.EVENTS_EXCHANGE,
    prefetch: config.EVENTS_PREFETCH,
    maxAttempts: config.EVENTS_MAX_ATTEMPTS,
    retryBaseDelayMs: config.EVENTS_RETRY_BASE_DELAY_MS,
    confirmTimeoutMs: config.OUTBOX_CONFIRM_TIMEOUT_MS,
  };
}

/** The relay settings of a parsed environment. */
export function relayOptions(config: EventsEnv): RelayOptions {
  return {
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
  };
}

/**
 * RabbitMQ when `amqpUrl` is set, otherwise the in-process transport (which
 * only reaches consumers in the same process: the embedded default).
 */
export async function openEventTransport(
  options: DeliveryOptions & { amqpUrl?: string | undefined },
): Promise<EventTransport> {
  const { amqpUrl, ...delivery } = options;
  if (amqpUrl) return AmqpTransport.open({ ...delivery, url: amqpUrl });
  log.info('no AMQP_URL: events are delivered in-process');
  return new InProcessTransport(delivery);
}
