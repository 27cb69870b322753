import { hash, verify } from '@node-rs/argon2';

// `Algorithm.Argon2id` is an ambient const enum, which verbatimModuleSyntax cannot import.
const ARGON2ID = 2;

/** Argon2id cost. The defaults are OWASP's recommendation (m=19 MiB, t=2, p=1). */
export interface PasswordHashCost {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: PasswordHashCost = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

/** Hashes and checks passwords with Argon2id; the PHC string records the cost used. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the same effort as a real check against no account, so a login
   * for an unknown email takes as long as one with a wrong password.
   */
  verifyNothing(password: string): Promise<false>;
}

export function createPasswordHasher(cost: PasswordHashCost = OWASP_ARGON2ID): PasswordHasher {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: cost.memoryKiB,
    timeCost: cost.iterations,
    parallelism: cost.parallelism,
  };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, options),
    verify: async (phc, password) => {
      try {
        return await verify(phc, password);
      } catch {
        return false; // a malformed stored hash never authenticates
      }
    },
    verifyNothing: async (password) => {
      dummy ??= hash('not a real password', options);
      await verify(await dummy, password).catch(() => false);
      return false;
    },
  };
}
