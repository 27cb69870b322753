/**
 * Creates an ADMIN account, or promotes an existing account and resets its
 * password:
 *
 *   ADMIN_EMAIL=ops@example.com ADMIN_NAME="Ops" pnpm admin:create   (password read from stdin)
 *
 * The password comes from standard input (or ADMIN_PASSWORD), never from a
 * command-line argument, so it does not end up in shell history or `ps`.
 * Uses CUSTOMER_DATABASE_URL (or DATABASE_URL), or the embedded database under DATA_DIR.
 */
import { createInterface } from 'node:readline/promises';
import { createDatabase, openPglite, parseConfig, runMain, subgraphDatabaseUrls } from '@shopgraph/lib';
import { z } from 'zod';
import { accountEnvShape, passwordCostFromEnv } from '../customer/account.config.js';
import { createAdmin } from '../customer/account.service.js';
import { createPasswordHasher } from '../customer/password.js';
import type { CustomerDatabase } from '../database.js';

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password for the admin account: ');
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

await runMain('admin:create', async () => {
  const config = parseConfig(
    z.object({
      DATA_DIR: z.string().default('.data'),
      ADMIN_EMAIL: z.string({ error: 'required: the admin account email' }),
      ADMIN_NAME: z.string().default('Administrator'),
      ADMIN_PASSWORD: z.string().optional(),
      ...accountEnvShape,
    }),
  );
  const password = config.ADMIN_PASSWORD ?? (await readPassword());
  const databaseUrl = subgraphDatabaseUrls().customer;
  const pglite = databaseUrl ? undefined : await openPglite(`${config.DATA_DIR}/pg`);
  const db = createDatabase<CustomerDatabase>({ databaseUrl, pglite });
  try {
    const result = await createAdmin(db, createPasswordHasher(passwordCostFromEnv(config)), {
      email: config.ADMIN_EMAIL,
      name: config.ADMIN_NAME,
      password,
    });
    if (!result.ok) {
      for (const e of result.userErrors) process.stderr.write(`${e.field?.join('.') ?? 'input'}: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(
      `${result.created ? 'Created' : 'Promoted'} admin ${result.customer.email} (${result.customer.id})\n`,
    );
  } finally {
    await db.destroy();
  }
});
