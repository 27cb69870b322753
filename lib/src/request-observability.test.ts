import { expect, it } from '@jest/globals';
import { parse, type OperationDefinitionNode } from 'graphql';
import { requestIdFrom } from './request-context.js';
import { operationLabel, requestOutcome } from './request-observability.js';
import { tracesExportConfigured } from './telemetry/sdk.js';

const operation = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;

it('labels an operation by its type and root field, never by the name a client chose', () => {
  expect(operationLabel(operation('query Whatever123 { products(first: 2) { edges { cursor } } }'))).toBe(
    'query.products',
  );
  expect(operationLabel(operation('mutation { placeOrder(input: {}) { order { id } } __typename }'))).toBe(
    'mutation.placeOrder',
  );
  expect(operationLabel(operation('query { a: me { id } b: me { name } }'))).toBe('query.me');
  expect(operationLabel(operation('query { me { id } products { edges { cursor } } }'))).toBe('query.(multiple)');
  expect(operationLabel(operation('query { ... on Query { me { id } } }'))).toBe('query.me');
  expect(operationLabel(operation('query { ...Root }'))).toBe('query.(fragment)');
  expect(operationLabel(operation('{ __typename }'))).toBe('query.(none)');
});

it('keeps a sane client request id and replaces anything else', () => {
  expect(requestIdFrom('abc-123_x.y:z/+=')).toBe('abc-123_x.y:z/+=');
  expect(requestIdFrom(['first-id', 'second-id'])).toBe('first-id');
  for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'quote"d', 'new\nline', '{"json":1}']) {
    expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});

it('tells success, client errors and server errors apart', () => {
  expect(requestOutcome(200, [])).toBe('success');
  expect(requestOutcome(200, ['BAD_USER_INPUT'])).toBe('client_error');
  expect(requestOutcome(401, ['UNAUTHENTICATED'])).toBe('client_error');
  expect(requestOutcome(400, [])).toBe('client_error');
  expect(requestOutcome(200, ['BAD_USER_INPUT', 'INTERNAL_SERVER_ERROR'])).toBe('server_error');
  expect(requestOutcome(503, [])).toBe('server_error');
});

it('exports traces only when an endpoint or an exporter is configured', () => {
  expect(tracesExportConfigured({})).toBe(false);
  expect(tracesExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
  expect(tracesExportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  expect(tracesExportConfigured({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
  expect(
    tracesExportConfigured({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
  ).toBe(false);
});
