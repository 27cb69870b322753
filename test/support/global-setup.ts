import { execSync } from 'node:child_process';

/**
 * Compiles the workspace once before any test runs (`pnpm build`, incremental:
 * a no-op when dist/ is current), so the tests that run the compiled services
 * as production does find them built, and no two test files build at once.
 */
export default function globalSetup(): void {
  execSync('pnpm --silent build', { cwd: new URL('../..', import.meta.url), stdio: 'inherit' });
}
