import type { ColumnType, Generated, Selectable } from 'kysely';

/** customer.event_inbox: the events each consumer of this subgraph has applied, one row per (consumer, event id). */
export interface EventInboxTable {
  consumer: string;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  aggregate_version: number;
  /** Processing order. */
  seq: ColumnType<number, never, never>;
  processed_at: Generated<Date>;
}

export type EventInboxRow = Selectable<EventInboxTable>;
