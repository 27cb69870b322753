/**
 * Loads OpenTelemetry instrumentation before the service's own modules:
 * start every process with `node --import tsx --import @shopgraph/lib/telemetry/register <main>`
 * (or `tsx --import ...`). ES modules are linked before any of them runs, so
 * hooks registered from inside a service's main would come too late for the
 * modules it imports; this module runs first and
 * - registers import-in-the-middle's loader hook for exactly the modules an
 *   instrumentation patches (pg, amqplib, express, graphql, http, undici),
 *   so everything else loads untouched;
 * - enables the instrumentations. They create spans through the global
 *   OpenTelemetry API, which stays a no-op until the service's main starts
 *   the SDK with its own name ({@link startTelemetry}).
 * `OTEL_SDK_DISABLED=true` skips all of it.
 */
import { register } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { createInstrumentations } from './instrumentations.js';
import { markInstrumentationLoaded, telemetryDisabled } from './state.js';

if (!telemetryDisabled()) {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  registerInstrumentations({ instrumentations: createInstrumentations() });
  markInstrumentationLoaded();
  // The loader thread must know every hooked module before the first import.
  await waitForAllMessagesAcknowledged();
}
