import { createLogger } from '@shopgraph/lib';
import { z } from 'zod';
import { loginLimitEnvShape } from '../login-limit/login-limit.service.js';
import { OWASP_ARGON2ID, type PasswordHashCost } from './password.js';

const log = createLogger('customer.accounts');

/** Account settings from the environment; the hash cost defaults to OWASP's Argon2id recommendation. */
export const accountEnvShape = {
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  PASSWORD_HASH_MEMORY_KIB: z.coerce.number().int().min(1024).default(OWASP_ARGON2ID.memoryKiB),
  PASSWORD_HASH_ITERATIONS: z.coerce.number().int().min(1).default(OWASP_ARGON2ID.iterations),
  ...loginLimitEnvShape,
};

export { loginLimitsFromEnv } from '../login-limit/login-limit.service.js';

export function passwordCostFromEnv(config: {
  PASSWORD_HASH_MEMORY_KIB: number;
  PASSWORD_HASH_ITERATIONS: number;
}): PasswordHashCost {
  const cost = {
    memoryKiB: config.PASSWORD_HASH_MEMORY_KIB,
    iterations: config.PASSWORD_HASH_ITERATIONS,
    parallelism: 1,
  };
  if (cost.memoryKiB < OWASP_ARGON2ID.memoryKiB || cost.iterations < OWASP_ARGON2ID.iterations) {
    log.warn({ cost }, 'password hashing cost is below the OWASP recommendation: only for tests');
  }
  return cost;
}
