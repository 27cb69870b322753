import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { DEMO_ACCOUNTS } from '../scripts/seed.js';
import type { RunningSupergraph } from '../scripts/supergraph.js';
import { startEmbeddedStack, type EmbeddedStack } from './support/embedded.js';
import { gql } from './support/graphql.js';

// The README's example operations are what a new user pastes into Sandbox:
// each must run as written, with the variables printed under it, against the
// embedded stack and its demo data, in the order the README gives them.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

type Role = 'anonymous' | 'customer' | 'admin';

interface Example {
  name: string;
  /** The operation's own text, as a user would paste it. */
  source: string;
  role: Role;
  variables: Record<string, unknown>;
  variableNames: string[];
  requiredVariables: string[];
}

/** Every operation of every ```graphql block, with the ```json block right after it as its variables. */
function readmeExamples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1]!,
    body: m[2]!,
    start: m.index,
    end: m.index + m[0].length,
  }));
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'graphql') return;
    const next = blocks[i + 1];
    const variables =
      next?.lang === 'json' && markdown.slice(block.end, next.start).trim() === ''
        ? (JSON.parse(next.body) as Record<string, unknown>)
        : {};
    const document = parse(block.body);
    let previousEnd = 0;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const operation = definition as OperationDefinitionNode;
      // The comments above an operation say whose token it needs.
      const preamble = block.body.slice(previousEnd, operation.loc!.start);
      const role: Role = preamble.includes('<admin token>')
        ? 'admin'
        : preamble.includes('<customer token>')
          ? 'customer'
          : 'anonymous';
      const defined = operation.variableDefinitions ?? [];
      examples.push({
        name: operation.name?.value ?? '(anonymous)',
        source: block.body.slice(operation.loc!.start, operation.loc!.end),
        role,
        variables,
        variableNames: defined.map((d) => d.variable.name.value),
        requiredVariables: defined
          .filter((d) => d.type.kind === Kind.NON_NULL_TYPE && !d.defaultValue)
          .map((d) => d.variable.name.value),
      });
      previousEnd = operation.loc!.end;
    }
  });
  return examples;
}

/** Every `userErrors` list anywhere in a response's data. */
function userErrorsIn(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(userErrorsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === 'userErrors' && Array.isArray(v) ? v : userErrorsIn(v)));
}

const examples = readmeExamples(readme);

describe('README examples, as written', () => {
  it('are operations a user can paste: named, with every variable given and no placeholders', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    const names = examples.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['Login', 'Catalog', 'Place', 'CreateProduct', 'AdjustStock']));
    expect(new Set(names).size).toBe(names.length);
    for (const example of examples) {
      expect({
        example: example.name,
        missing: example.requiredVariables.filter((v) => !(v in example.variables)),
      }).toEqual({
        example: example.name,
        missing: [],
      });
      expect(JSON.stringify(example.variables)).not.toMatch(/<[^>]*>/);
      expect(example.source).not.toMatch(/<[^>]*>/);
    }
  });

  it('tells how to log in as the admin the operations marked admin need', () => {
    const admin = DEMO_ACCOUNTS.find((a) => a.role === 'ADMIN')!;
    expect(readme).toContain(`\`${admin.email}\` / \`${admin.password}\``);
    expect(examples.some((e) => e.role === 'admin')).toBe(true);
  });
});

describe('README examples against the embedded stack', () => {
  let stack: EmbeddedStack;
  let supergraph: RunningSupergraph;
  const tokens: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    stack = await startEmbeddedStack({ pollIntervalMs: 200 });
    supergraph = stack.supergraph;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const run = (example: Example, variables = example.variables) => {
    const token = example.role === 'anonymous' ? undefined : tokens[example.role];
    if (example.role !== 'anonymous' && !token) throw new Error(`no ${example.role} token before ${example.name}`);
    return gql(
      supergraph.gateway.graphqlUrl,
      example.source,
      variables,
      token ? { authorization: `Bearer ${token}` } : {},
    );
  };

  it('logs in with the Login example, as the customer and as the admin', async () => {
    const login = examples.find((e) => e.name === 'Login')!;
    const customer = await run(login);
    expect(customer.errors).toBeUndefined();
    expect(customer.data.login.userErrors).toEqual([]);
    tokens.customer = customer.data.login.accessToken;
    const admin = DEMO_ACCOUNTS.find((a) => a.role === 'ADMIN')!;
    const asAdmin = await run(login, { email: admin.email, password: admin.password });
    expect(asAdmin.data.login.userErrors).toEqual([]);
    tokens.admin = asAdmin.data.login.accessToken;
  });

  it.each(examples.filter((e) => e.name !== 'Login').map((e) => [e.name, e] as const))(
    '%s runs as written: data, no errors, no userErrors',
    async (_name, example) => {
      const res = await run(example);
      expect(res.errors).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.data).toEqual(expect.any(Object));
      // A field that is null at the top (say `me` without a token) shows nothing.
      const empty = Object.entries(res.data as object).filter(([, v]) => v === null);
      expect(empty).toEqual([]);
      expect(userErrorsIn(res.data)).toEqual([]);
    },
  );

  it('Place sent again with the same key and input returns the first order', async () => {
    const place = examples.find((e) => e.name === 'Place')!;
    const first = await run(place);
    const again = await run(place);
    expect(again.data.placeOrder.order.id).toBe(first.data.placeOrder.order.id);
  });

  it('the curl command of the quick start answers', async () => {
    const payload = /-d '(\{"query":.*?\})'/.exec(readme)?.[1];
    expect(payload).toBeDefined();
    const res = await fetch(supergraph.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    });
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.products.edges.length).toBeGreaterThan(0);
  });
});
