import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * Money is integer minor units everywhere in code and storage; the GraphQL
 * `Decimal` scalar carries it as an exact decimal string ("12.34"), never a
 * float. All supported currencies have two decimal places.
 */
export const MINOR_DIGITS = 2;

/** 1234 → "12.34", -5 → "-0.05". */
export function formatMinorUnits(minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount of minor units: ${minor}`);
  const sign = minor < 0 ? '-' : '';
  const digits = Math.abs(minor)
    .toString()
    .padStart(MINOR_DIGITS + 1, '0');
  return `${sign}${digits.slice(0, -MINOR_DIGITS)}.${digits.slice(-MINOR_DIGITS)}`;
}

/** "12.34" → 1234; "12" → 1200; "12.345" and "1e3" are rejected. Returns undefined when not exact. */
export function parseDecimalToMinorUnits(text: string): number | undefined {
  const match = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const minor = Number(whole) * 10 ** MINOR_DIGITS + Number(fraction.padEnd(MINOR_DIGITS, '0'));
  return sign === '-' ? -minor : minor;
}

function parseDecimalValue(value: unknown): string {
  if (typeof value !== 'string' || parseDecimalToMinorUnits(value) === undefined) {
    throw new GraphQLError('Decimal must be a string with at most 2 decimal places, e.g. "12.34"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value.trim();
}

/** The `Decimal` scalar: an exact decimal number as a string. */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number serialized as a string, e.g. "12.34". Never a float.',
  serialize(value) {
    if (typeof value === 'string') return value;
    throw new TypeError('Decimal must be produced as a string');
  },
  parseValue: parseDecimalValue,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('Decimal must be a string literal, e.g. "12.34"', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return parseDecimalValue(ast.value);
  },
});

/** The `DateTime` scalar: an ISO-8601 timestamp in UTC. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO-8601 timestamp in UTC, e.g. "2026-01-31T12:00:00.000Z".',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return date;
  },
  parseLiteral(ast) {
    const date = ast.kind === Kind.STRING ? new Date(ast.value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return date;
  },
});

/** The GraphQL `Money` shape for an amount in minor units. */
export function money(minor: number, currencyCode: string): { amount: string; currencyCode: string } {
  return { amount: formatMinorUnits(minor), currencyCode: currencyCode.trim() };
}
