import {
  connect,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import { createLogger } from '../logger.js';
import { eventsConsumed, trackTransport, untrackTransport, type ConsumeOutcome, type QueueDepth } from '../metrics.js';
import { withTraceCarrier } from '../telemetry/trace-context.js';
import { PoisonMessageError } from './envelope.js';
import {
  afterFailure,
  retryDelayMs,
  TransportUnavailableError,
  type DeliveryOptions,
  type EventTransport,
  type MessageHandler,
  type OutgoingMessage,
  type PublishOutcome,
  type Subscription,
  type SubscriptionOptions,
} from './transport.js';

const log = createLogger('events.amqp');

/** Headers this transport sets on retried and dead-lettered copies. */
export const ATTEMPT_HEADER = 'x-shopgraph-attempt';
export const ROUTING_KEY_HEADER = 'x-shopgraph-routing-key';
export const LAST_ERROR_HEADER = 'x-shopgraph-last-error';
export const DEAD_LETTER_REASON_HEADER = 'x-shopgraph-dead-letter-reason';

export interface AmqpTransportOptions extends DeliveryOptions {
  url: string;
  /** Reconnect back-off bounds. */
  reconnect?: { initialDelayMs: number; maxDelayMs: number } | undefined;
}

/** The queue names of a consumer: main queue, one retry queue per retry, and the dead-letter queue. */
export function consumerQueues(exchange: string, name: string, maxAttempts: number) {
  const main = `${exchange}.${name}`;
  return {
    main,
    dlq: `${main}.dlq`,
    retries: Array.from({ length: Math.max(0, maxAttempts - 1) }, (_, i) => `${main}.retry.${i + 1}`),
  };
}

interface ConsumerState {
  options: SubscriptionOptions;
  handler: MessageHandler;
  channel: ConfirmChannel | null;
  consumerTag: string | null;
  /** The chain that processes deliveries one at a time, in arrival order. */
  processing: Promise<void>;
  cancelled: boolean;
}

/** Whether the broker supports quorum queues (RabbitMQ 3.8 and later). */
function supportsQuorumQueues(model: ChannelModel): boolean {
  const { product, version } = model.connection.serverProperties;
  const [major = 0, minor = 0] = String(version ?? '')
    .split('.')
    .map(Number);
  return product === 'RabbitMQ' && (major > 3 || (major === 3 && minor >= 8));
}

/** A publish batch not confirmed within this time fails as a whole (and is published again later). */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 10_000;

/** How long close() waits for the broker to acknowledge closing the connection. */
const CLOSE_TIMEOUT_MS = 2_000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * RabbitMQ transport on amqplib: a durable topic exchange, persistent
 * mandatory publishes on a confirm channel, and per consumer a durable
 * (quorum, where supported) single-active-consumer queue with TTL retry
 * queues and a dead-letter queue. The connection recovers on its own with
 * back-off (amqplib's recovery); every (re)connect declares the topology again
 * and restarts the consumers. See docs/adr/0005-event-delivery.md.
 */
export class AmqpTransport implements EventTransport {
  readonly kind = 'amqp';
  private connection!: RecoveringChannelModel;
  private model: ChannelModel | null = null;
  private publishChannel: ConfirmChannel | null = null;
  private quorum = false;
  private returned: Set<string> | null = null;
  private publishing: Promise<unknown> = Promise.resolve();
  private readonly consumers = new Set<ConsumerState>();
  private readonly connectedListeners: (() => void)[] = [];

  private constructor(private readonly options: AmqpTransportOptions) {}

  /**
   * Starts connecting and returns at once: a relay or consumer may start
   * before the broker is reachable, and picks up when it is.
   */
  static async open(options: AmqpTransportOptions): Promise<AmqpTransport> {
    const transport = new AmqpTransport(options);
    trackTransport(transport);
    const reconnect = options.reconnect ?? { initialDelayMs: 200, maxDelayMs: 15_000 };
    const connection = await connect(options.url, {
      recovery: {
        initialDelay: reconnect.initialDelayMs,
        maxDelay: reconnect.maxDelayMs,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          await transport.setup(model);
        },
      },
    });
    transport.connection = connection;
    connection.on('connect', () => {
      log.info({ quorumQueues: transport.quorum }, 'connected to the event broker');
      for (const listener of transport.connectedListeners) listener();
    });
    connection.on('disconnect', (error: Error) => {
      transport.model = null;
      transport.publishChannel = null;
      for (const consumer of transport.consumers) consumer.channel = null;
      log.warn({ err: error }, 'lost the event broker connection; reconnecting');
    });
    connection.on('reconnect-scheduled', ({ attempt, delay, error }) =>
      log.warn({ attempt, delay, reason: messageOf(error) }, 'event broker unreachable; retrying'),
    );
    connection.on('error', (error: Error) => log.warn({ err: error }, 'event broker connection error'));
    return transport;
  }

  /** Runs on every (re)connect, before the connection is handed out. */
  private async setup(model: ChannelModel): Promise<void> {
    this.quorum = supportsQuorumQueues(model);
    const channel = await this.openChannel(model);
    channel.on('return', (message: ConsumeMessage) => {
      const id: unknown = message.properties.messageId;
      if (typeof id === 'string') this.returned?.add(id);
    });
    await channel.assertExchange(this.options.exchange, 'topic', { durable: true });
    for (const consumer of this.consumers) {
      if (!consumer.cancelled) await this.startConsumer(model, consumer);
    }
    this.model = model;
    this.publishChannel = channel;
  }

  /**
   * A confirm channel whose unexpected close (a channel-level error from the
   * broker) closes the whole connection, so recovery rebuilds everything.
   */
  private async openChannel(model: ChannelModel): Promise<ConfirmChannel> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => log.warn({ err: error }, 'event broker channel error'));
    channel.on('close', () => {
      if (this.model === model && (channel === this.publishChannel || this.ownsConsumerChannel(channel))) {
        model.close().catch(() => undefined);
      }
    });
    return channel;
  }

  private ownsConsumerChannel(channel: ConfirmChannel): boolean {
    for (const consumer of this.consumers) if (consumer.channel === channel && !consumer.cancelled) return true;
    return false;
  }

  isConnected(): boolean {
    return this.publishChannel !== null;
  }

  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  async ready(): Promise<void> {
    if (!this.isConnected()) throw new TransportUnavailableError();
  }

  publish(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    // One batch at a time: returned messages are attributed to the batch in flight.
    const result = this.publishing.then(() => this.publishBatch(messages));
    this.publishing = result.catch(() => undefined);
    return result;
  }

  private async publishBatch(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    const channel = this.publishChannel;
    const model = this.model;
    if (!channel) throw new TransportUnavailableError();
    const returned = new Set<string>();
    this.returned = returned;
    // Everything the batch waits for (room in the socket's buffer, then the
    // confirms) ends when the channel closes or the time is up, whichever
    // comes first: the caller holds a transaction and the relay lock meanwhile.
    const timeoutMs = this.options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const abort = new Promise<never>((_, reject) => {
      onClose = () => reject(new TransportUnavailableError('the channel closed while publishing'));
      channel.once('close', onClose);
      timer = setTimeout(() => {
        reject(new TransportUnavailableError(`the batch was not confirmed within ${timeoutMs} ms`));
        // A connection that stops confirming is probably dead without having
        // noticed (a black-holed network): start over with a new one.
        if (this.model === model) model?.close().catch(() => undefined);
      }, timeoutMs);
    });
    abort.catch(() => undefined);
    try {
      const confirms: Promise<string | undefined>[] = [];
      for (const message of messages) {
        let flowing = true;
        let published!: Promise<string | undefined>;
        try {
          published = new Promise((resolve) => {
            // In the trace of the request that wrote the event: the publish
            // span (amqplib instrumentation) is its child, and the message
            // headers carry it on to the consumers.
            flowing = withTraceCarrier(message.traceContext, () =>
              channel.publish(
                this.options.exchange,
                message.type,
                message.body,
                {
                  persistent: true,
                  mandatory: true,
                  messageId: message.id,
                  type: message.type,
                  contentType: 'application/json',
                  timestamp: Math.floor(Date.now() / 1000),
                },
                (error: unknown) => resolve(error ? messageOf(error) || 'nacked by the broker' : undefined),
              ),
            );
          });
        } catch (error) {
          // The channel closed between two publishes.
          throw new TransportUnavailableError(`publishing failed: ${messageOf(error)}`);
        }
        confirms.push(published);
        if (!flowing) await Promise.race([new Promise((resolve) => channel.once('drain', resolve)), abort]);
      }
      const verdicts = await Promise.race([Promise.all(confirms), abort]);
      if (this.publishChannel !== channel) {
        // The channel closed under the batch: the broker may or may not have
        // the messages. Report nothing; the relay publishes them again.
        throw new TransportUnavailableError('the connection closed while publishing');
      }
      const outcome: PublishOutcome = { published: [], failed: [] };
      messages.forEach((message, i) => {
        const verdict = verdicts[i];
        if (returned.has(message.id)) {
          outcome.failed.push({ id: message.id, reason: `unroutable: no queue is bound for "${message.type}"` });
        } else if (verdict) {
          outcome.failed.push({ id: message.id, reason: verdict });
        } else {
          outcome.published.push(message.id);
        }
      });
      return outcome;
    } finally {
      clearTimeout(timer);
      if (onClose) channel.off('close', onClose);
      this.returned = null;
    }
  }

  async subscribe(options: SubscriptionOptions, handler: MessageHandler): Promise<Subscription> {
    const consumer: ConsumerState = {
      options,
      handler,
      channel: null,
      consumerTag: null,
      processing: Promise.resolve(),
      cancelled: false,
    };
    this.consumers.add(consumer);
    // Connected: declare and consume now, so errors surface to the caller.
    // Otherwise the next (re)connect starts it.
    if (this.model) await this.startConsumer(this.model, consumer);
    return {
      cancel: async () => {
        consumer.cancelled = true;
        this.consumers.delete(consumer);
        const { channel, consumerTag } = consumer;
        if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
        await consumer.processing;
        await channel?.close().catch(() => undefined);
      },
    };
  }

  private async startConsumer(model: ChannelModel, consumer: ConsumerState): Promise<void> {
    const { exchange, maxAttempts, prefetch } = this.options;
    const queues = consumerQueues(exchange, consumer.options.name, maxAttempts);
    const channel = await this.openChannel(model);
    consumer.channel = channel;
    await channel.prefetch(prefetch);
    const type = this.quorum ? { 'x-queue-type': 'quorum' } : {};
    await channel.assertQueue(queues.dlq, { durable: true, arguments: type });
    await channel.assertQueue(queues.main, {
      durable: true,
      arguments: {
        ...type,
        // One consumer at a time gets the queue's messages, in order, even
        // with several replicas; the others stand by.
        'x-single-active-consumer': true,
        // A message that keeps killing its consumer before the ack is parked
        // rather than redelivered forever.
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queues.dlq,
        ...(this.quorum ? { 'x-delivery-limit': 20 } : {}),
      },
    });
    for (const [i, retry] of queues.retries.entries()) {
      await channel.assertQueue(retry, {
        durable: true,
        arguments: {
          ...type,
          'x-message-ttl': retryDelayMs(this.options, i + 1),
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': queues.main,
        },
      });
    }
    for (const key of consumer.options.routingKeys) await channel.bindQueue(queues.main, exchange, key);
    const { consumerTag } = await channel.consume(
      queues.main,
      (message) => {
        if (!message) {
          // The broker cancelled the consumer (its queue was deleted, say):
          // reconnect, which declares the queues again and resumes consuming.
          if (!consumer.cancelled) {
            log.warn({ consumer: consumer.options.name }, 'the broker cancelled the consumer; reconnecting');
            model.close().catch(() => undefined);
          }
          return;
        }
        consumer.processing = consumer.processing.then(() => this.deliver(channel, consumer, queues, message));
      },
      { noAck: false },
    );
    consumer.consumerTag = consumerTag;
  }

  /** Handles one delivery; acks only after the handler (and its commit) resolved. */
  private async deliver(
    channel: ConfirmChannel,
    consumer: ConsumerState,
    queues: ReturnType<typeof consumerQueues>,
    message: ConsumeMessage,
  ): Promise<void> {
    const headers: Record<string, unknown> = { ...(message.properties.headers ?? {}) };
    const attempt = Number(headers[ATTEMPT_HEADER] ?? 1) || 1;
    const routingKey =
      typeof headers[ROUTING_KEY_HEADER] === 'string' ? headers[ROUTING_KEY_HEADER] : message.fields.routingKey;
    const id = typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined;
    const context = { consumer: consumer.options.name, messageId: id, attempt };
    // Deliveries prefetched on a channel that has since closed come again on the new one.
    if (consumer.channel !== channel) return;
    let outcome: ConsumeOutcome = 'handled';
    try {
      try {
        await consumer.handler({
          id,
          routingKey,
          body: message.content,
          attempt,
          redelivered: message.fields.redelivered,
        });
      } catch (error) {
        const poison = error instanceof PoisonMessageError;
        const next = afterFailure(error, attempt, this.options.maxAttempts);
        const retryQueue = next === 'dead-letter' ? undefined : queues.retries[next.retry - 1];
        delete headers['x-death'];
        const copy = {
          persistent: true,
          messageId: id,
          type: message.properties.type as string | undefined,
          contentType: message.properties.contentType as string | undefined,
          timestamp: message.properties.timestamp as number | undefined,
        };
        if (retryQueue) {
          outcome = 'retried';
          log.warn(
            { ...context, err: error, retryIn: retryDelayMs(this.options, attempt) },
            'event handling failed; will retry',
          );
          channel.sendToQueue(retryQueue, message.content, {
            ...copy,
            headers: {
              ...headers,
              [ATTEMPT_HEADER]: next === 'dead-letter' ? attempt : next.nextAttempt,
              [ROUTING_KEY_HEADER]: routingKey,
              [LAST_ERROR_HEADER]: messageOf(error),
            },
          });
        } else {
          const reason = poison ? `poison: ${messageOf(error)}` : `failed ${attempt} times: ${messageOf(error)}`;
          outcome = 'dead_lettered';
          log.error({ ...context, reason, queue: queues.dlq }, 'event dead-lettered');
          channel.sendToQueue(queues.dlq, message.content, {
            ...copy,
            headers: {
              ...headers,
              [ATTEMPT_HEADER]: attempt,
              [ROUTING_KEY_HEADER]: routingKey,
              [DEAD_LETTER_REASON_HEADER]: reason,
            },
          });
        }
        // The copy is safely queued before the original goes.
        await channel.waitForConfirms();
      }
      channel.ack(message);
      eventsConsumed.inc({ consumer: consumer.options.name, outcome });
    } catch (error) {
      // The channel or connection died: the broker redelivers the message,
      // and the consumer's inbox makes the second delivery a no-op.
      log.warn({ ...context, err: error }, 'could not settle the delivery; it will be redelivered');
    }
  }

  /**
   * Messages waiting in each consumer's queues (main: not yet handled, retry,
   * dlq), read on a channel of its own: asking for a queue that does not
   * exist closes the channel that asked.
   */
  async queueDepths(): Promise<QueueDepth[]> {
    const model = this.model;
    if (!model || this.consumers.size === 0) return [];
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      const depths: QueueDepth[] = [];
      for (const consumer of this.consumers) {
        const queues = consumerQueues(this.options.exchange, consumer.options.name, this.options.maxAttempts);
        const kinds: [QueueDepth['kind'], string][] = [
          ['main', queues.main],
          ...queues.retries.map((queue): [QueueDepth['kind'], string] => ['retry', queue]),
          ['dlq', queues.dlq],
        ];
        for (const [kind, queue] of kinds) {
          const { messageCount } = await channel.checkQueue(queue);
          depths.push({ consumer: consumer.options.name, kind, messages: messageCount });
        }
      }
      return depths;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    untrackTransport(this);
    await Promise.all(
      [...this.consumers].map(async (consumer) => {
        consumer.cancelled = true;
        if (consumer.channel && consumer.consumerTag)
          await consumer.channel.cancel(consumer.consumerTag).catch(() => undefined);
        await consumer.processing;
      }),
    );
    this.consumers.clear();
    await this.publishing;
    this.publishChannel = null;
    this.model = null;
    // A broker that went silent never answers the close handshake: do not wait for it forever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.connection
        .close()
        .catch((error: unknown) => log.warn({ err: error }, 'closing the broker connection failed')),
      new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
  }
}
