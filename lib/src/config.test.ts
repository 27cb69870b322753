import { expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from './config.js';

const schema = z.object({
  PORT: env.port(4000),
  DATABASE_URL: env.postgresUrl(),
  GATEWAY_URL: env.url().optional(),
});

it('parses, defaults and freezes a valid environment', () => {
  const config = parseConfig(schema, { DATABASE_URL: 'postgres://u@h:5432/db', PORT: '' });
  expect(config).toEqual({ PORT: 4000, DATABASE_URL: 'postgres://u@h:5432/db' });
  expect(Object.isFrozen(config)).toBe(true);
});

it('names every missing or malformed variable in one error', () => {
  try {
    parseConfig(schema, { PORT: '99999', GATEWAY_URL: 'not a url' });
    throw new Error('expected a ConfigError');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/^PORT: /m);
    expect(problems.join('\n')).toMatch(/^DATABASE_URL: /m);
    expect(problems.join('\n')).toMatch(/^GATEWAY_URL: must be an absolute URL/m);
  }
});

it('tells an unset optional boolean from an explicit false', () => {
  const flags = z.object({ SEED: env.optionalBool(), ON: env.bool(true) });
  expect(parseConfig(flags, {})).toEqual({ SEED: undefined, ON: true });
  expect(parseConfig(flags, { SEED: 'false', ON: '0' })).toEqual({ SEED: false, ON: false });
  expect(parseConfig(flags, { SEED: 'true' }).SEED).toBe(true);
  expect(() => parseConfig(flags, { SEED: 'yes' })).toThrow(/SEED/);
});
