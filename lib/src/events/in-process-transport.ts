import { createLogger } from '../logger.js';
import { eventsConsumed, trackTransport, untrackTransport, type QueueDepth } from '../metrics.js';
import { contextFromCarrier, inSpan, producerSpan, SpanKind } from '../telemetry/trace-context.js';
import { PoisonMessageError } from './envelope.js';
import {
  afterFailure,
  retryDelayMs,
  type DeliveryOptions,
  type EventTransport,
  type IncomingMessage,
  type MessageHandler,
  type OutgoingMessage,
  type PublishOutcome,
  type Subscription,
  type SubscriptionOptions,
} from './transport.js';

const log = createLogger('events.in-process');

/** A message parked after its last failed attempt, or because it can never be processed. */
export interface DeadLetter {
  consumer: string;
  id: string | undefined;
  routingKey: string;
  body: Buffer;
  attempt: number;
  reason: string;
}

/** Whether an AMQP topic pattern (`*` one word, `#` zero or more) matches a routing key. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const match = (p: string[], k: string[]): boolean => {
    if (p.length === 0) return k.length === 0;
    const [head, ...rest] = p;
    if (head === '#') return match(rest, k) || (k.length > 0 && match(p, k.slice(1)));
    if (k.length === 0) return false;
    return (head === '*' || head === k[0]) && match(rest, k.slice(1));
  };
  return match(pattern.split('.'), routingKey.split('.'));
}

const MESSAGING_ATTRIBUTES = { 'messaging.system': 'in-process' };

interface Queue {
  options: SubscriptionOptions;
  handler: MessageHandler;
  pending: IncomingMessage[];
  /** Retries waiting for their back-off to pass. */
  timers: Set<NodeJS.Timeout>;
  running: Promise<void> | null;
  cancelled: boolean;
}

/**
 * The embedded default's transport: the relay and the consumers in one
 * process, no broker. Keeps the semantics the code relies on: a publish with
 * no bound consumer is reported unroutable (and stays in the outbox), each
 * consumer handles its messages one at a time in publish order, a message is
 * settled only after its handler resolved, failures are retried with the same
 * back-off as on RabbitMQ, and the last failure (or a poison message) is
 * dead-lettered into {@link deadLetters} and logged. Messages in memory do not
 * survive a restart: this transport is for development and demos (ADR 0005).
 */
export class InProcessTransport implements EventTransport {
  readonly kind = 'in-process';
  /** Every message dead-lettered so far, oldest first. */
  readonly deadLetters: DeadLetter[] = [];
  private readonly queues = new Set<Queue>();
  private closed = false;

  constructor(private readonly options: Omit<DeliveryOptions, 'exchange' | 'prefetch'>) {
    trackTransport(this);
  }

  isConnected(): boolean {
    return !this.closed;
  }

  onConnected(): void {
    // Always connected.
  }

  async ready(): Promise<void> {}

  async publish(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    const outcome: PublishOutcome = { published: [], failed: [] };
    for (const message of messages) {
      const targets = [...this.queues].filter((q) => q.options.routingKeys.some((k) => topicMatches(k, message.type)));
      if (targets.length === 0) {
        outcome.failed.push({ id: message.id, reason: `unroutable: no consumer is bound for "${message.type}"` });
        continue;
      }
      // No instrumentation sees a hand-over in memory: the publish and
      // process spans are recorded here, as amqplib's are on RabbitMQ.
      const traceContext = producerSpan(
        'publish in-process',
        { ...MESSAGING_ATTRIBUTES, 'messaging.destination.name': message.type, 'messaging.message.id': message.id },
        message.traceContext,
      );
      for (const queue of targets) {
        this.enqueue(queue, {
          id: message.id,
          routingKey: message.type,
          body: message.body,
          attempt: 1,
          redelivered: false,
          traceContext,
        });
      }
      outcome.published.push(message.id);
    }
    return outcome;
  }

  async subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    const queue: Queue = { options, handler, pending: [], timers: new Set(), running: null, cancelled: false };
    this.queues.add(queue);
    return {
      cancel: async () => {
        queue.cancelled = true;
        this.queues.delete(queue);
        for (const timer of queue.timers) clearTimeout(timer);
        await queue.running;
      },
    };
  }

  private enqueue(queue: Queue, message: IncomingMessage): void {
    queue.pending.push(message);
    queue.running ??= this.drain(queue).finally(() => {
      queue.running = null;
    });
  }

  private async drain(queue: Queue): Promise<void> {
    // Handlers run after publish() returned, as they would behind a broker.
    await new Promise((resolve) => setImmediate(resolve));
    let message: IncomingMessage | undefined;
    while (!queue.cancelled && (message = queue.pending.shift())) {
      const delivery = message;
      try {
        await inSpan(
          `${queue.options.name} process`,
          {
            kind: SpanKind.CONSUMER,
            parent: contextFromCarrier(delivery.traceContext),
            attributes: {
              ...MESSAGING_ATTRIBUTES,
              'messaging.operation': 'process',
              'messaging.destination.name': delivery.routingKey,
              'messaging.message.id': delivery.id ?? '',
              'messaging.consumer.group.name': queue.options.name,
            },
          },
          () => queue.handler(delivery),
        );
        eventsConsumed.inc({ consumer: queue.options.name, outcome: 'handled' });
      } catch (error) {
        this.failed(queue, message, error);
      }
    }
  }

  private failed(queue: Queue, message: IncomingMessage, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const context = { consumer: queue.options.name, messageId: message.id, attempt: message.attempt };
    const next = afterFailure(error, message.attempt, this.options.maxAttempts);
    if (next !== 'dead-letter') {
      const delay = retryDelayMs(this.options, next.retry);
      log.warn({ ...context, err: error, retryIn: delay }, 'event handling failed; will retry');
      eventsConsumed.inc({ consumer: queue.options.name, outcome: 'retried' });
      const timer = setTimeout(() => {
        queue.timers.delete(timer);
        if (!queue.cancelled) this.enqueue(queue, { ...message, attempt: next.nextAttempt });
      }, delay);
      queue.timers.add(timer);
      return;
    }
    const why =
      error instanceof PoisonMessageError ? `poison: ${reason}` : `failed ${message.attempt} times: ${reason}`;
    log.error({ ...context, reason: why }, 'event dead-lettered');
    eventsConsumed.inc({ consumer: queue.options.name, outcome: 'dead_lettered' });
    this.deadLetters.push({ consumer: queue.options.name, ...message, reason: why });
  }

  async queueDepths(): Promise<QueueDepth[]> {
    return [...this.queues].flatMap((queue) => [
      { consumer: queue.options.name, kind: 'main' as const, messages: queue.pending.length },
      { consumer: queue.options.name, kind: 'retry' as const, messages: queue.timers.size },
      {
        consumer: queue.options.name,
        kind: 'dlq' as const,
        messages: this.deadLetters.filter((d) => d.consumer === queue.options.name).length,
      },
    ]);
  }

  async close(): Promise<void> {
    untrackTransport(this);
    this.closed = true;
    for (const queue of this.queues) {
      queue.cancelled = true;
      for (const timer of queue.timers) clearTimeout(timer);
    }
    await Promise.all([...this.queues].map((q) => q.running));
    this.queues.clear();
  }
}
