export { startGateway, type GatewayOptions, type GatewayContext, type SubgraphName } from './app.js';
