/**
 * `pnpm check:boundaries [root]` (run by CI): fails when a subgraph depends
 * on or imports another subgraph (docs/adr/0013). Checks this repository
 * unless another root is given.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBoundaryViolations } from './boundaries.js';

const root = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('..', import.meta.url));
const violations = findBoundaryViolations(root);
for (const v of violations) {
  process.stderr.write(`${v.file}: "${v.reference}" reaches into the ${v.reaches} subgraph\n`);
}
if (violations.length > 0) {
  process.stderr.write(
    `\n${violations.length} subgraph boundary violation(s): a subgraph never imports another; ` +
      'reach it through its API and keep shared contracts in schema/ or lib/ (docs/adr/0013)\n',
  );
  process.exit(1);
}
process.stdout.write('subgraph boundaries: no subgraph depends on another\n');
