import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';

/**
 * The version of the envelope layout itself. A consumer rejects (dead-letters)
 * a message whose `schemaVersion` it does not know instead of guessing.
 */
export const ENVELOPE_SCHEMA_VERSION = 1;

/**
 * What travels on the wire for every domain event: a versioned JSON envelope
 * around the event's `data`. See docs/events.md.
 */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  /** Layout version of this envelope; see {@link ENVELOPE_SCHEMA_VERSION}. */
  schemaVersion: typeof ENVELOPE_SCHEMA_VERSION;
  /** Unique per event: the AMQP message id and the consumers' deduplication key. */
  id: string;
  /** What happened, e.g. `order.created`; also the routing key. */
  type: Type;
  /** When it happened (ISO-8601, UTC). */
  occurredAt: string;
  /** The entity the event is about, e.g. the order id. */
  aggregateId: string;
  /** Increments per aggregate with every event, so consumers can drop stale ones. */
  aggregateVersion: number;
  data: Data;
}

/**
 * A message that can never be processed however often it is retried:
 * unparseable JSON, an unknown envelope version or type, or data that does not
 * match the schema. Consumers dead-letter it at once.
 */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** Serialises an envelope for the wire. */
export function encodeEnvelope(envelope: EventEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * Builds a decoder that parses a message body and validates it against a JSON
 * Schema (the event contract, e.g. schema/events/order-events.schema.json).
 * Anything that does not parse or validate throws {@link PoisonMessageError}
 * naming the first problems, so the reason can be logged and kept with the
 * dead-lettered message.
 */
export function envelopeDecoder<E extends EventEnvelope>(schema: AnySchemaObject): (body: Buffer | string) => E {
  const validate: ValidateFunction = new Ajv({ allErrors: true, strict: true }).compile(schema);
  return (body) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    } catch {
      throw new PoisonMessageError('body is not JSON');
    }
    if (typeof parsed === 'object' && parsed !== null && 'schemaVersion' in parsed) {
      if (parsed.schemaVersion !== ENVELOPE_SCHEMA_VERSION) {
        throw new PoisonMessageError(`unknown envelope schemaVersion ${JSON.stringify(parsed.schemaVersion)}`);
      }
    }
    if (!validate(parsed)) {
      const problems = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
      throw new PoisonMessageError(`envelope does not match the event schema: ${problems.join('; ')}`);
    }
    return parsed as E;
  };
}
