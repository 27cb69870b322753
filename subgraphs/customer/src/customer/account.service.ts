import {
  loginFailures,
  refuse,
  signAccessToken,
  succeed,
  type SigningKey,
  type TokenSettings,
  type Viewer,
} from '@shopgraph/lib';
import type { Kysely } from 'kysely';
import type { CustomerDatabase, CustomerDb } from '../database.js';
import {
  claimLoginAttempt,
  loginThrottled,
  settleSuccessfulLogin,
  type LoginLimitSettings,
} from '../login-limit/login-limit.service.js';
import { findCustomerByEmail, insertCustomer, updateCustomerName } from './customer.repository.js';
import type { CustomerRow } from './customer.table.js';
import type { PasswordHasher } from './password.js';
import { InputChecker, type CustomerResult, type CustomerUserError } from './validation.js';

/** What the customer subgraph needs to create accounts and issue tokens. */
export interface AccountSettings {
  hasher: PasswordHasher;
  signingKey: SigningKey;
  tokenSettings: TokenSettings;
  tokenTtlSeconds: number;
  /** Failed-login limits per email address and per client address. */
  loginLimits: LoginLimitSettings;
}

export type AuthResult = CustomerResult<{ customer: CustomerRow; accessToken: string; expiresAt: Date }>;

function issue(settings: AccountSettings, customer: CustomerRow): AuthResult {
  const { token, expiresAt } = signAccessToken(
    { customerId: customer.id, role: customer.role },
    settings.signingKey,
    settings.tokenSettings,
    settings.tokenTtlSeconds,
  );
  return succeed({ customer, accessToken: token, expiresAt });
}

/**
 * Opens a CUSTOMER account and logs it in. A taken email gets the same
 * generic error whoever asks, and the password is hashed first either way so
 * the response time does not tell a taken email from a free one.
 */
export async function register(
  db: CustomerDb,
  settings: AccountSettings,
  input: { email: string; password: string; name: string },
): Promise<AuthResult> {
  const check = new InputChecker(['input']);
  const email = check.email('email', input.email);
  const password = check.newPassword('password', input.password);
  const name = check.text('name', input.name, 100);
  if (!check.ok) return refuse(...check.errors);

  const passwordHash = await settings.hasher.hash(password);
  const customer = await insertCustomer(db, { email, name, role: 'CUSTOMER', password_hash: passwordHash });
  if (!customer) {
    return refuse({
      field: ['input', 'email'],
      code: 'EMAIL_UNAVAILABLE',
      message: 'This email address cannot be used to register',
    });
  }
  return issue(settings, customer);
}

const INVALID_CREDENTIALS: CustomerUserError = {
  field: ['input'],
  code: 'INVALID_CREDENTIALS',
  message: 'The email and password do not match an account',
};

/**
 * Exchanges email and password for an access token. An unknown email and a
 * wrong password get the same error after the same amount of hashing work,
 * and the same attempt limits (see {@link claimLoginAttempt}).
 */
export async function login(
  db: Kysely<CustomerDatabase>,
  settings: AccountSettings,
  input: { email: string; password: string },
  clientAddress?: string | undefined,
): Promise<AuthResult> {
  const refused = (): AuthResult => {
    loginFailures.inc();
    return refuse(INVALID_CREDENTIALS);
  };
  const email = input.email.trim().toLowerCase();
  if (email.length > 254 || input.password.length > 256) return refused();
  const claim = await claimLoginAttempt(db, settings.loginLimits, { email, clientAddress });
  if (!claim.ok) return refuse(loginThrottled(claim.retryAfterSeconds));
  const customer = await findCustomerByEmail(db, email);
  const valid = customer?.password_hash
    ? await settings.hasher.verify(customer.password_hash, input.password)
    : await settings.hasher.verifyNothing(input.password);
  if (!customer || !valid) return refused();
  await settleSuccessfulLogin(db, settings.loginLimits, claim.attempt);
  return issue(settings, customer);
}

export type ProfileResult = CustomerResult<{ customer: CustomerRow }>;

/** Changes the caller's own profile. */
export async function updateProfile(
  db: CustomerDb,
  viewer: Viewer,
  input: { name?: string | null },
): Promise<ProfileResult> {
  const check = new InputChecker(['input']);
  const name = input.name == null ? undefined : check.text('name', input.name, 100);
  if (!check.ok) return refuse(...check.errors);
  const customer =
    name === undefined
      ? await db.selectFrom('customer.customer').selectAll().where('id', '=', viewer.customerId).executeTakeFirst()
      : await updateCustomerName(db, viewer.customerId, name);
  if (!customer) throw new Error(`customer ${viewer.customerId} from a valid token does not exist`);
  return succeed({ customer });
}

/**
 * Creates an ADMIN account (or promotes an existing account and resets its
 * password). Used by the `admin:create` command, never by the API.
 */
export async function createAdmin(
  db: CustomerDb,
  hasher: PasswordHasher,
  input: { email: string; password: string; name: string },
): Promise<CustomerResult<{ customer: CustomerRow; created: boolean }>> {
  const check = new InputChecker([]);
  const email = check.email('email', input.email);
  const password = check.newPassword('password', input.password);
  const name = check.text('name', input.name, 100);
  if (!check.ok) return refuse(...check.errors);
  const passwordHash = await hasher.hash(password);
  const created = await insertCustomer(db, { email, name, role: 'ADMIN', password_hash: passwordHash });
  if (created) return succeed({ customer: created, created: true });
  const promoted = await db
    .updateTable('customer.customer')
    .set({ role: 'ADMIN', password_hash: passwordHash, name, updated_at: new Date() })
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .returningAll()
    .executeTakeFirstOrThrow();
  return succeed({ customer: promoted, created: false });
}
