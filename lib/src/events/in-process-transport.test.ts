import { describe, expect, it } from '@jest/globals';
import { PoisonMessageError } from './envelope.js';
import { InProcessTransport, topicMatches } from './in-process-transport.js';
import { afterFailure, type IncomingMessage } from './transport.js';
import { DependencyUnavailableError } from '../errors.js';

const message = (id: string, type = 'order.created') => ({ id, type, body: Buffer.from(`{"n":"${id}"}`) });

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('InProcessTransport', () => {
  it('matches AMQP topic patterns', () => {
    expect(topicMatches('order.created', 'order.created')).toBe(true);
    expect(topicMatches('order.*', 'order.updated')).toBe(true);
    expect(topicMatches('order.*', 'order.updated.late')).toBe(false);
    expect(topicMatches('#', 'order.created')).toBe(true);
    expect(topicMatches('order.#', 'order')).toBe(true);
    expect(topicMatches('*.created', 'order.updated')).toBe(false);
  });

  it('reports a message no consumer is bound for as unroutable, like a mandatory publish', async () => {
    const transport = new InProcessTransport({ maxAttempts: 3, retryBaseDelayMs: 1 });
    await transport.subscribe({ name: 'c', routingKeys: ['order.created'] }, async () => undefined);
    const outcome = await transport.publish([message('a'), message('b', 'order.updated')]);
    expect(outcome.published).toEqual(['a']);
    expect(outcome.failed).toEqual([{ id: 'b', reason: expect.stringMatching(/unroutable/) }]);
    await transport.close();
  });

  it('hands each consumer its messages one at a time, in publish order', async () => {
    const transport = new InProcessTransport({ maxAttempts: 3, retryBaseDelayMs: 1 });
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await transport.subscribe({ name: 'c', routingKeys: ['order.*'] }, async (m) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(m.id!);
      inFlight--;
    });
    await transport.publish(['1', '2', '3', '4', '5'].map((id) => message(id)));
    await until(() => seen.length === 5);
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    expect(maxInFlight).toBe(1);
    await transport.close();
  });

  it('retries a failing message with back-off, dead-letters it after the last attempt, and keeps the others flowing', async () => {
    const transport = new InProcessTransport({ maxAttempts: 3, retryBaseDelayMs: 20 });
    const deliveries: Pick<IncomingMessage, 'id' | 'attempt'>[] = [];
    await transport.subscribe({ name: 'c', routingKeys: ['#'] }, async (m) => {
      deliveries.push({ id: m.id, attempt: m.attempt });
      if (m.id === 'bad') throw new Error('boom');
      if (m.id === 'poison') throw new PoisonMessageError('not JSON');
    });
    await transport.publish([message('bad'), message('poison'), message('good')]);
    await until(() => transport.deadLetters.length === 2);
    expect(deliveries).toEqual([
      { id: 'bad', attempt: 1 },
      { id: 'poison', attempt: 1 },
      { id: 'good', attempt: 1 },
      { id: 'bad', attempt: 2 },
      { id: 'bad', attempt: 3 },
    ]);
    expect(transport.deadLetters.map((d) => [d.id, d.attempt, d.reason])).toEqual([
      ['poison', 1, 'poison: not JSON'],
      ['bad', 3, 'failed 3 times: boom'],
    ]);
    await transport.close();
  });

  it('keeps retrying through a database outage without using up attempts, then delivers', async () => {
    const transport = new InProcessTransport({ maxAttempts: 3, retryBaseDelayMs: 5 });
    const attempts: number[] = [];
    await transport.subscribe({ name: 'c', routingKeys: ['#'] }, async (m) => {
      attempts.push(m.attempt);
      // Six failures of a dependency, twice the attempts a message has: pg's error for a terminated backend.
      if (attempts.length <= 6) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
    });
    await transport.publish([message('outage')]);
    await until(() => attempts.length === 7, 5000);
    expect(transport.deadLetters).toEqual([]);
    expect(attempts).toEqual([1, 1, 1, 1, 1, 1, 1]);
    await transport.close();
  });
});

describe('afterFailure', () => {
  it('counts attempts for failures, not for outages, and dead-letters poison at once', () => {
    expect(afterFailure(new Error('boom'), 1, 3)).toEqual({ retry: 1, nextAttempt: 2 });
    expect(afterFailure(new Error('boom'), 3, 3)).toBe('dead-letter');
    expect(afterFailure(new PoisonMessageError('bad'), 1, 3)).toBe('dead-letter');
    expect(afterFailure(new DependencyUnavailableError('down'), 3, 3)).toEqual({ retry: 2, nextAttempt: 3 });
    expect(afterFailure(new DependencyUnavailableError('down'), 1, 3)).toEqual({ retry: 1, nextAttempt: 1 });
    expect(afterFailure(new DependencyUnavailableError('down'), 1, 1)).toBe('dead-letter');
  });
});
