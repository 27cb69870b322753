import type { QueueDepth } from '../metrics.js';
import type { TraceCarrier } from '../telemetry/trace-context.js';
import { isTemporaryFailure } from '../errors.js';
import type { ReadinessCheck } from '../server.js';
import { PoisonMessageError } from './envelope.js';

/**
 * The seam between the outbox relay / consumers and whatever carries events:
 * RabbitMQ (`AmqpTransport`) or, on the embedded default, memory
 * (`InProcessTransport`). Both give the same guarantees the rest of the code
 * relies on: a publish is confirmed or reported failed per message, an
 * unroutable message is reported, deliveries are acknowledged only after the
 * handler resolved, failures are retried with back-off and finally
 * dead-lettered, and one consumer sees the messages of its queue in publish
 * order (until a retry reorders them; consumers use `aggregateVersion`).
 */
export interface OutgoingMessage {
  /** Event id: the AMQP `message_id`. */
  id: string;
  /** Event type: the routing key. */
  type: string;
  body: Buffer;
  /** The trace of the request that caused the event (W3C trace context), continued by publish and consume. */
  traceContext?: TraceCarrier | null | undefined;
}

/** Per-message result of a publish: confirmed by the broker, or not (with why). */
export interface PublishOutcome {
  published: string[];
  failed: { id: string; reason: string }[];
}

export interface IncomingMessage {
  /** The AMQP message id, when the publisher set one. */
  id: string | undefined;
  routingKey: string;
  body: Buffer;
  /** 1 on first delivery; counts retries through the retry queues. */
  attempt: number;
  /** The broker says it delivered this message before (e.g. a consumer died before its ack). */
  redelivered: boolean;
  /** The publisher's trace context, where the transport does not carry it in headers itself. */
  traceContext?: TraceCarrier | null | undefined;
}

export interface SubscriptionOptions {
  /** Consumer name, unique per exchange; names its queues (`<exchange>.<name>`, `.retry.N`, `.dlq`). */
  name: string;
  /** Routing keys (topic patterns) the queue is bound with. */
  routingKeys: string[];
}

/**
 * Resolves when the message was handled (its effect committed): it is then
 * acknowledged. Rejects to have it retried, or with a PoisonMessageError to
 * dead-letter it at once.
 */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface Subscription {
  /** Stops consuming; resolves once the message in hand (if any) is settled. */
  cancel(): Promise<void>;
}

/**
 * Where a relay hands its messages: an event transport, or any other
 * at-least-once hand-off (a webhook). A message counts as delivered only when
 * it is reported published.
 */
export interface MessagePublisher {
  /** Whether a publish can be attempted now (the broker connection is up). */
  isConnected(): boolean;
  /** Calls `listener` whenever the publisher (re)connects. */
  onConnected(listener: () => void): void;
  /**
   * Hands over a batch and reports each message: published (the receiver
   * has it) or failed (with why). Throws {@link TransportUnavailableError}
   * when nothing could be attempted.
   */
  publish(messages: OutgoingMessage[]): Promise<PublishOutcome>;
}

export interface EventTransport extends MessagePublisher {
  readonly kind: 'amqp' | 'in-process';
  /**
   * Publishes a batch (persistent, mandatory, one publisher confirm each) and
   * reports each message. Throws {@link TransportUnavailableError} when not
   * connected.
   */
  publish(messages: OutgoingMessage[]): Promise<PublishOutcome>;
  /** Declares the consumer's queues and starts delivering to `handler`, one message at a time. */
  subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription>;
  /** Throws when the broker is unreachable; drives `/ready`. */
  ready(): Promise<void>;
  /** Messages waiting in each subscribed consumer's queues (for metrics: consumer lag, dead letters). */
  queueDepths(): Promise<QueueDepth[]>;
  /** Cancels subscriptions and closes the connection. */
  close(): Promise<void>;
}

/**
 * The `/ready` check of the event broker. Optional for the HTTP services: a
 * broker outage does not stop them serving requests (events wait in the
 * outbox, deliveries wait in the queues), so it is reported, not required.
 * Required for the standalone relay, which can do nothing else.
 */
export function brokerCheck(transport: EventTransport, required = false): ReadinessCheck {
  return { name: 'broker', required, check: () => transport.ready() };
}

/** The broker connection is down: nothing was published. */
export class TransportUnavailableError extends Error {
  constructor(message = 'event broker is not connected') {
    super(message);
    this.name = 'TransportUnavailableError';
  }
}

/** Settings shared by both transports. */
export interface DeliveryOptions {
  /** Topic exchange every event is published to. */
  exchange: string;
  /** Unacknowledged messages a consumer holds at most. */
  prefetch: number;
  /** Deliveries per message before it is dead-lettered (1 = no retry). */
  maxAttempts: number;
  /** Delay before the first retry; each later retry waits 4 times longer. */
  retryBaseDelayMs: number;
  /**
   * RabbitMQ: a publish batch not confirmed within this time fails as a whole
   * (its events stay in the outbox); also the longest a relay batch keeps its
   * transaction open waiting for the broker.
   */
  confirmTimeoutMs?: number | undefined;
}

/**
 * What happens to a delivery whose handler failed on attempt `attempt`:
 * another attempt after `retry` (the 1-based retry delay to wait, see
 * {@link retryDelayMs}) carrying attempt number `nextAttempt`, or the
 * dead-letter queue. A poison message is dead-lettered at once. A temporary
 * failure of a dependency (the database is down) does not use up an attempt:
 * the message waits its current attempt's delay and comes back, for as long
 * as the outage lasts, instead of being parked after a few minutes.
 */
export function afterFailure(
  error: unknown,
  attempt: number,
  maxAttempts: number,
): { retry: number; nextAttempt: number } | 'dead-letter' {
  if (error instanceof PoisonMessageError) return 'dead-letter';
  if (isTemporaryFailure(error) && maxAttempts > 1) {
    return { retry: Math.min(attempt, maxAttempts - 1), nextAttempt: attempt };
  }
  return attempt < maxAttempts ? { retry: attempt, nextAttempt: attempt + 1 } : 'dead-letter';
}

/** The delay before retry number `retry` (1-based): base, 4×base, 16×base… */
export function retryDelayMs(options: Pick<DeliveryOptions, 'retryBaseDelayMs'>, retry: number): number {
  return options.retryBaseDelayMs * 4 ** (retry - 1);
}
