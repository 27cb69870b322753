import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InProcessTransport } from '../events/in-process-transport.js';
import { eventsConsumed, metricsRegistry } from '../metrics.js';
import { currentTraceCarrier, currentTraceIds } from './trace-context.js';

// The embedded default's transport has no instrumentation: the trace must
// still run from the request that wrote the event to the consumer's handling.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const sdk = new NodeSDK({ spanProcessors: [processor], metricReaders: [] });

beforeAll(() => sdk.start());
afterAll(() => sdk.shutdown());

it('continues the publishing request trace into the consumer, through publish and process spans', async () => {
  const transport = new InProcessTransport({ maxAttempts: 1, retryBaseDelayMs: 1 });
  const seen: { traceId?: string | undefined }[] = [];
  let handled!: () => void;
  const done = new Promise<void>((resolve) => (handled = resolve));
  await transport.subscribe({ name: 'stats', routingKeys: ['order.created'] }, async () => {
    seen.push({ traceId: currentTraceIds()?.traceId });
    handled();
  });

  // The request that writes the event; the relay publishes later, outside it.
  const request = trace.getTracer('test').startSpan('POST /graphql');
  const carrier = trace.getTracer('test').startActiveSpan('placeOrder', (span) => {
    const kept = currentTraceCarrier();
    span.end();
    return kept;
  });
  request.end();
  expect(carrier?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  await transport.publish([{ id: 'e1', type: 'order.created', body: Buffer.from('{}'), traceContext: carrier }]);
  await done;
  await transport.close();

  // Exports wait for the resource's detected attributes.
  await processor.forceFlush();
  const spans = exporter.getFinishedSpans();
  const placeOrder = spans.find((s) => s.name === 'placeOrder')!;
  const publish = spans.find((s) => s.name === 'publish in-process')!;
  const process = spans.find((s) => s.name === 'stats process')!;
  expect(publish.spanContext().traceId).toBe(placeOrder.spanContext().traceId);
  expect(publish.parentSpanContext?.spanId).toBe(placeOrder.spanContext().spanId);
  expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  expect(process.attributes['messaging.message.id']).toBe('e1');
  expect(seen).toEqual([{ traceId: placeOrder.spanContext().traceId }]);
});

it('counts handled, retried and dead-lettered deliveries per consumer', async () => {
  const transport = new InProcessTransport({ maxAttempts: 2, retryBaseDelayMs: 1 });
  const count = async (outcome: string) =>
    (await eventsConsumed.get()).values.find((v) => v.labels.consumer === 'flaky' && v.labels.outcome === outcome)
      ?.value ?? 0;
  let calls = 0;
  await transport.subscribe({ name: 'flaky', routingKeys: ['#'] }, async (m) => {
    calls++;
    if (m.id === 'bad') throw new Error('always fails');
  });
  await transport.publish([
    { id: 'ok', type: 'order.created', body: Buffer.from('{}') },
    { id: 'bad', type: 'order.created', body: Buffer.from('{}') },
  ]);
  const deadline = Date.now() + 2000;
  while (transport.deadLetters.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(calls).toBe(3);
  expect([await count('handled'), await count('retried'), await count('dead_lettered')]).toEqual([1, 1, 1]);
  const depths = await transport.queueDepths();
  expect(depths).toContainEqual({ consumer: 'flaky', kind: 'dlq', messages: 1 });
  expect(await metricsRegistry.metrics()).toMatch(/shopgraph_events_queue_messages\{consumer="flaky",kind="dlq"\} 1/);
  await transport.close();
});
