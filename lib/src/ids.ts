import { badUserInput } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID, the form every entity id takes. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Validates an id argument; a malformed id is BAD_USER_INPUT naming the argument. */
export function parseId(value: string, argument = 'id'): string {
  if (!isUuid(value)) throw badUserInput(`"${argument}" is not a valid id`, argument);
  return value.toLowerCase();
}
