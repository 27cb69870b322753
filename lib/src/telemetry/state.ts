/** Whether `OTEL_SDK_DISABLED` turns OpenTelemetry off for this process. */
export const telemetryDisabled = (): boolean => /^(true|1)$/i.test(process.env.OTEL_SDK_DISABLED ?? '');

// A global symbol, not a module variable: the register module and the
// service's modules may be loaded as separate module instances.
const LOADED = Symbol.for('shopgraph.telemetry.instrumentation-loaded');

/** Records that the instrumentation hooks were registered before the service's modules loaded. */
export function markInstrumentationLoaded(): void {
  (globalThis as Record<symbol, unknown>)[LOADED] = true;
}

export function instrumentationLoaded(): boolean {
  return (globalThis as Record<symbol, unknown>)[LOADED] === true;
}
