export { startGateway, type GatewayOptions, type GatewayContext, type SubgraphName } from './app.js';
export {
  DEVELOPMENT_CORS_ORIGINS,
  gatewayEnvShape,
  gatewaySettingsFromEnv,
  type GatewayEnv,
  type GatewaySettings,
} from './gateway.config.js';
export { DEFAULT_LIMITS, type OperationLimits } from './operation-limits.js';
export { parseManifest, type PersistedQueryManifest, type PersistedOperationSettings } from './persisted-operations.js';
export { DEFAULT_SUBGRAPH_CALLS, type SubgraphCallSettings } from './subgraph-fetcher.js';
