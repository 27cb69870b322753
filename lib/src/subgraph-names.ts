/** The subgraph services, each owning its own database schema (docs/adr/0013). */
export const SUBGRAPHS = ['customer', 'inventory', 'order'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

/** The Postgres schema that holds each subgraph's tables (and its migration history). */
export const SUBGRAPH_SCHEMAS: Readonly<Record<SubgraphName, string>> = {
  customer: 'customer',
  inventory: 'inventory',
  order: 'orders',
};

export const isSubgraphName = (value: string): value is SubgraphName =>
  (SUBGRAPHS as readonly string[]).includes(value);
