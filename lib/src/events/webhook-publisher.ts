import type { Logger } from '../logger.js';
import type { MessagePublisher, OutgoingMessage, PublishOutcome } from './transport.js';

/** The header that carries a message's id to an HTTP receiver, which deduplicates by it. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export interface WebhookPublisherOptions {
  /** Where each message is POSTed (JSON body). */
  url: string;
  /** One request's time limit. */
  timeoutMs?: number | undefined;
  /** Requests in flight at once. */
  concurrency?: number | undefined;
}

/**
 * Hands messages to an HTTP receiver (a mail or push service): one POST per
 * message with its id in the `Idempotency-Key` header. A 2xx answer means the
 * receiver has it; anything else, or no answer in time, fails the message so
 * it is tried again later. Delivery is at least once (a timeout after the
 * receiver took a message sends it again), so the receiver must deduplicate
 * by the key.
 */
export class WebhookPublisher implements MessagePublisher {
  constructor(private readonly options: WebhookPublisherOptions) {}

  isConnected(): boolean {
    // Failures are per message, with back-off; there is no connection to wait for.
    return true;
  }

  onConnected(): void {}

  async publish(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    const outcome: PublishOutcome = { published: [], failed: [] };
    const queue = [...messages];
    const worker = async () => {
      for (let message = queue.shift(); message; message = queue.shift()) {
        const reason = await this.send(message);
        if (reason) outcome.failed.push({ id: message.id, reason });
        else outcome.published.push(message.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, messages.length) }, worker));
    return outcome;
  }

  /** Resolves to why the receiver did not take the message, or undefined when it did. */
  private async send(message: OutgoingMessage): Promise<string | undefined> {
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [IDEMPOTENCY_KEY_HEADER]: message.id,
          'x-message-type': message.type,
        },
        body: message.body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `the receiver answered HTTP ${res.status}`;
    } catch (error) {
      return `no answer from the receiver: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

/**
 * A receiver that only logs each message (`msg` at info, with the message's
 * JSON fields): where no real sender is configured, as on the embedded
 * default. Never fails.
 */
export class LogPublisher implements MessagePublisher {
  constructor(
    private readonly logger: Logger,
    private readonly msg: string,
  ) {}

  isConnected(): boolean {
    return true;
  }

  onConnected(): void {}

  async publish(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    for (const message of messages) {
      this.logger.info(
        { messageId: message.id, type: message.type, ...JSON.parse(message.body.toString('utf8')) },
        this.msg,
      );
    }
    return { published: messages.map((m) => m.id), failed: [] };
  }
}
