/*
 * The one result convention of every service (docs/adr/0016): a service
 * returns `{ ok: true, …values }` or `{ ok: false, userErrors }`. A userError
 * is a problem a person can fix by changing what they entered, or a business
 * rule refusing the request; a malformed request is a thrown BAD_USER_INPUT
 * instead.
 */

/** A business failure, as mutation payloads and internal APIs carry it. */
export interface UserError<Code extends string = string> {
  /** Path to the input field at fault, e.g. ["input", "lines", "0", "quantity"]; null when no single field is. */
  field: string[] | null;
  message: string;
  code: Code;
}

/** What a service returns: its values, or why it refused (and then it changed nothing). */
export type Result<T extends object, E extends UserError = UserError> = ({ ok: true } & T) | Refusal<E>;

/** The failed side of a {@link Result}. */
export interface Refusal<E extends UserError = UserError> {
  ok: false;
  userErrors: E[];
}

/** A successful result carrying `values`. */
export function succeed<T extends object>(values: T): { ok: true } & T {
  return { ok: true, ...values };
}

/** A failed result: the request was refused for these reasons. */
export function refuse<E extends UserError>(...userErrors: E[]): Refusal<E> {
  return { ok: false, userErrors };
}

/**
 * Thrown inside a transaction to roll it back and answer with these
 * userErrors instead: nothing the transaction did is kept.
 * {@link refusalAsResult} turns it back into a failed result.
 */
export class Refused<E extends UserError = UserError> extends Error {
  constructor(readonly userErrors: E[]) {
    super(userErrors.map((e) => e.code).join(', '));
    this.name = 'Refused';
  }
}

/**
 * Runs `work`; a {@link Refused} thrown by it becomes a failed result. Throw
 * only user errors of the result's own type inside `work`.
 */
export async function refusalAsResult<R extends Result<object, UserError>>(work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Refused) return refuse(...error.userErrors) as R;
    throw error;
  }
}

/**
 * A mutation payload from a result: the result's values and no userErrors, or
 * the userErrors and nothing else (GraphQL resolves the absent fields to null).
 */
export function toPayload<T extends object, E extends UserError>(
  result: Result<T, E>,
): (T & { userErrors: E[] }) | ({ [K in keyof T]?: undefined } & { userErrors: E[] }) {
  if (!result.ok) return { userErrors: result.userErrors } as { [K in keyof T]?: undefined } & { userErrors: E[] };
  const { ok: _ok, ...values } = result;
  return { ...(values as unknown as T), userErrors: [] };
}
