import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export { SpanKind } from '@opentelemetry/api';

/**
 * W3C trace context as carried outside a process: `traceparent` and, when
 * set, `tracestate` (the same keys as HTTP and AMQP headers).
 */
export type TraceCarrier = Record<string, string>;

/**
 * The active trace context as a carrier, or null when there is none (no
 * request in flight, or OpenTelemetry not started). Kept with work that
 * continues elsewhere: an outbox row, a message.
 */
export function currentTraceCarrier(): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : null;
}

/** The context a carrier describes (the root context for none), to continue its trace. */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** The trace and span id of the active span, when it has a valid one. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

const tracer = () => trace.getTracer('@shopgraph/lib');

/**
 * Runs `work` in a new span that is a child of `parent` (the active context
 * by default), ending it when `work` settles and recording a failure. For the
 * hops no maintained instrumentation covers.
 */
export function inSpan<T>(
  name: string,
  options: { kind: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes ?? {} },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Records an instantaneous PRODUCER span (a message handed over in memory)
 * under `parent`, and returns the carrier its consumer continues from.
 */
export function producerSpan(name: string, attributes: Attributes, parent: TraceCarrier | null | undefined) {
  const parentContext = contextFromCarrier(parent);
  const span = tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes }, parentContext);
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(parentContext, span), carrier);
  span.end();
  return carrier.traceparent ? carrier : null;
}

/** Runs `work` with `carrier`'s trace context active (e.g. to publish a message on behalf of the request that caused it). */
export function withTraceCarrier<T>(carrier: TraceCarrier | null | undefined, work: () => T): T {
  return context.with(contextFromCarrier(carrier), work);
}
