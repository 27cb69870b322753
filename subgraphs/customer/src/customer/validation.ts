import type { Result, UserError } from '@shopgraph/lib';
import type { CustomerErrorCode } from '../generated/graphql.js';

/** A business failure of a customer mutation (docs/adr/0016). */
export type CustomerUserError = UserError<CustomerErrorCode>;

/** What the customer services return: their values, or why they refused. */
export type CustomerResult<T extends object> = Result<T, CustomerUserError>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Collects the userErrors of one input object: values a person entered wrongly. */
export class InputChecker {
  readonly errors: CustomerUserError[] = [];

  constructor(private readonly prefix: string[]) {}

  fail(field: string, code: CustomerErrorCode, message: string): void {
    this.errors.push({ field: [...this.prefix, field], code, message });
  }

  /** Trimmed text, required and at most `max` characters. */
  text(field: string, value: string, max: number): string {
    const trimmed = value.trim();
    if (trimmed === '') this.fail(field, 'REQUIRED', `${field} must not be empty`);
    else if (trimmed.length > max) this.fail(field, 'TOO_LONG', `${field} must be at most ${max} characters`);
    return trimmed;
  }

  /** Trimmed optional text; empty becomes null. */
  optionalText(field: string, value: string | null | undefined, max: number): string | null {
    const trimmed = value?.trim() ?? '';
    if (trimmed.length > max) this.fail(field, 'TOO_LONG', `${field} must be at most ${max} characters`);
    return trimmed === '' ? null : trimmed;
  }

  /** Trimmed, lower-cased email address. */
  email(field: string, value: string): string {
    const email = value.trim().toLowerCase();
    if (email.length > 254) this.fail(field, 'TOO_LONG', 'email must be at most 254 characters');
    else if (!EMAIL.test(email)) this.fail(field, 'INVALID_EMAIL', 'email is not a valid email address');
    return email;
  }

  /** A new password: 8 to 256 characters (the upper bound caps hashing work). */
  newPassword(field: string, value: string): string {
    if (value.length < 8) this.fail(field, 'PASSWORD_TOO_SHORT', 'password must be at least 8 characters');
    else if (value.length > 256) this.fail(field, 'TOO_LONG', 'password must be at most 256 characters');
    return value;
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }
}
