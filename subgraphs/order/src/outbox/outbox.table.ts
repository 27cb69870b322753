import type { TraceCarrier } from '@shopgraph/lib';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { OrderCreatedData, OrderEventType, OrderUpdatedData } from '@shopgraph/schema';

/** orders.outbox_event: order events written with the order, published by the relay. */
export interface OutboxEventTable {
  /** Outbox order; per order it is version order. */
  seq: ColumnType<number, never, never>;
  /** The event id: AMQP message id and consumers' deduplication key. */
  id: string;
  type: OrderEventType;
  aggregate_id: string;
  aggregate_version: number;
  occurred_at: Date;
  /** The event's `data`; written as JSON text. */
  data: ColumnType<OrderCreatedData | OrderUpdatedData, string, never>;
  published_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
  available_at: Generated<Date>;
  /** Trace context of the request that wrote the event; written as JSON text. */
  trace_context: ColumnType<TraceCarrier | null, string | null, never>;
}

export type OutboxEventRow = Selectable<OutboxEventTable>;
export type NewOutboxEventRow = Insertable<OutboxEventTable>;
