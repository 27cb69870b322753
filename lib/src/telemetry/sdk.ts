import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../logger.js';
import { instrumentationLoaded, telemetryDisabled } from './state.js';

const log = createLogger('telemetry');

/** A started OpenTelemetry SDK: flush and stop it last on shutdown. */
export interface Telemetry {
  /** Whether spans are exported (an OTLP endpoint or an exporter is configured). */
  exporting: boolean;
  /** Exports the spans still buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

const set = (name: string) => (process.env[name] ?? '').trim() !== '';

/**
 * Whether the standard variables ask for span export: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), or an
 * explicit `OTEL_TRACES_EXPORTER` other than `none`.
 */
export function tracesExportConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim();
  if (exporter === 'none') return false;
  if (exporter !== '') return true;
  return ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].some((name) => (env[name] ?? '') !== '');
}

/**
 * Starts the OpenTelemetry Node SDK for this process, configured by the
 * standard `OTEL_*` variables (endpoint, protocol, headers, sampler,
 * resource attributes, propagators). `service.name` is `OTEL_SERVICE_NAME`,
 * else `SERVICE_NAME`, else `serviceName`.
 *
 * With an endpoint, spans go out over OTLP in batches. Without one nothing is
 * exported, and nothing is recorded either: spans are never sampled, but
 * trace ids are still made and propagated (W3C `traceparent`), so log lines
 * of one request carry the same trace id in every service.
 *
 * Metrics are served by prom-client on `/metrics`, so the SDK's own metric
 * and log pipelines stay off unless `OTEL_METRICS_EXPORTER` /
 * `OTEL_LOGS_EXPORTER` ask for them.
 */
export function startTelemetry(serviceName: string): Telemetry {
  if (telemetryDisabled()) return { exporting: false, shutdown: async () => {} };
  const exporting = tracesExportConfigured();
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || process.env.SERVICE_NAME || serviceName,
    ...(exporting
      ? {}
      : {
          spanProcessors: [new NoopSpanProcessor()],
          ...(set('OTEL_TRACES_SAMPLER') ? {} : { sampler: new AlwaysOffSampler() }),
        }),
    ...(set('OTEL_METRICS_EXPORTER') ? {} : { metricReaders: [] }),
    ...(set('OTEL_LOGS_EXPORTER') ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  if (!instrumentationLoaded()) {
    log.warn(
      'OpenTelemetry instrumentation is not loaded: start the process with --import @shopgraph/lib/telemetry/register',
    );
  }
  log.debug({ exporting }, 'OpenTelemetry started');
  let stopped: Promise<void> | undefined;
  return {
    exporting,
    shutdown: () =>
      (stopped ??= sdk.shutdown().catch((error: unknown) => log.warn({ err: error }, 'could not flush traces'))),
  };
}
