import { createLogger } from '../logger.js';
import { PoisonMessageError, type EventEnvelope } from './envelope.js';
import type { EventTransport, IncomingMessage, Subscription } from './transport.js';

const log = createLogger('events.consumer');

/**
 * A downstream consumer of events: a name (which names its queues), the
 * routing keys it wants, and a handler that applies the event's effect. The
 * handler must be idempotent per event id (an inbox row and the effect in one
 * transaction): the transport acks after it resolves, so a crash in between
 * means the event comes again.
 */
export interface EventConsumer<E extends EventEnvelope> {
  name: string;
  routingKeys: string[];
  handle(event: E, delivery: IncomingMessage): Promise<void>;
}

/**
 * Subscribes a consumer: each delivery is decoded and validated (a malformed
 * or unknown message is poison and is dead-lettered at once, with the reason
 * logged) and handed to the consumer.
 */
export function startConsumer<E extends EventEnvelope>(
  transport: EventTransport,
  decode: (body: Buffer) => E,
  consumer: EventConsumer<E>,
): Promise<Subscription> {
  return transport.subscribe({ name: consumer.name, routingKeys: consumer.routingKeys }, async (delivery) => {
    const event = decode(delivery.body);
    if (delivery.id !== undefined && delivery.id !== event.id) {
      throw new PoisonMessageError(`message id ${delivery.id} differs from the event id ${event.id}`);
    }
    if (event.type !== delivery.routingKey) {
      throw new PoisonMessageError(`event type ${event.type} arrived with routing key ${delivery.routingKey}`);
    }
    await consumer.handle(event, delivery);
    log.debug({ consumer: consumer.name, eventId: event.id, type: event.type }, 'event handled');
  });
}
