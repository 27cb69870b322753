import { sql, type Kysely } from 'kysely';

/**
 * The trace context (W3C `traceparent`/`tracestate`) of the request that
 * wrote an outbox event, so the relay's publish and the consumers' handling
 * continue that request's trace. Null for events written outside a trace.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table orders.outbox_event add column trace_context jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table orders.outbox_event drop column trace_context`.execute(db);
}
