import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { findBoundaryViolations } from '../scripts/boundaries.js';

// No subgraph depends on another (docs/adr/0013), and both checks that say so can fail.
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'shopgraph-boundaries-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(scratch, path, '..'), { recursive: true });
  writeFileSync(join(scratch, path), text);
}

describe('the boundary check', () => {
  it('finds no subgraph depending on another in this repository', () => {
    expect(findBoundaryViolations(root)).toEqual([]);
  });

  it('reports a dependency, a package import and a relative path into another subgraph', async () => {
    write('subgraphs/shop/package.json', JSON.stringify({ name: '@x/shop', dependencies: { '@x/stock': '*' } }));
    write('subgraphs/stock/package.json', JSON.stringify({ name: '@x/stock' }));
    write(
      'subgraphs/shop/src/shop.service.ts',
      [
        "import { reserve } from '@x/stock';",
        "export { lock } from '../../stock/src/lock.js';",
        "const late = await import('@x/stock/internal');",
        "import { own } from './own.js';",
      ].join('\n'),
    );
    write('subgraphs/stock/src/lock.ts', "import { helper } from '../test/helper.js';");

    expect(findBoundaryViolations(scratch)).toEqual([
      { file: 'subgraphs/shop/package.json', reference: '@x/stock', reaches: 'stock' },
      { file: 'subgraphs/shop/src/shop.service.ts', reference: '@x/stock', reaches: 'stock' },
      { file: 'subgraphs/shop/src/shop.service.ts', reference: '../../stock/src/lock.js', reaches: 'stock' },
      { file: 'subgraphs/shop/src/shop.service.ts', reference: '@x/stock/internal', reaches: 'stock' },
    ]);
  });

  it('fails the CI step on a violation and passes this repository', async () => {
    const check = (tree?: string) =>
      promisify(execFile)('npx', ['tsx', join(root, 'scripts/check-boundaries.ts'), ...(tree ? [tree] : [])], {
        cwd: root,
      }).then(
        ({ stdout }) => ({ code: 0, output: stdout }),
        (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
      );
    const bad = join(scratch, 'ci');
    mkdirSync(join(bad, 'subgraphs/a/src'), { recursive: true });
    mkdirSync(join(bad, 'subgraphs/b'), { recursive: true });
    writeFileSync(join(bad, 'subgraphs/a/package.json'), JSON.stringify({ name: '@y/a' }));
    writeFileSync(join(bad, 'subgraphs/b/package.json'), JSON.stringify({ name: '@y/b' }));
    writeFileSync(join(bad, 'subgraphs/a/src/x.ts'), "import { b } from '@y/b';\n");

    const failed = await check(bad);
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('subgraphs/a/src/x.ts: "@y/b" reaches into the b subgraph');
    expect(await check()).toMatchObject({ code: 0 });
  });
});

describe('the ESLint rule', () => {
  const lint = (text: string, file: string) =>
    new ESLint({ cwd: root }).lintText(text, { filePath: join(root, file) }).then(([result]) => result!.messages);

  it('refuses an import of another subgraph, by package or by path, and allows the subgraph’s own modules', async () => {
    const file = 'subgraphs/order/src/neighbours.ts';
    for (const specifier of ['@shopgraph/inventory', '../../inventory/src/app.js', '@shopgraph/customer']) {
      const messages = await lint(`import { x } from '${specifier}';\nexport const y = x;\n`, file);
      expect(messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
    }
    const own = await lint(
      `import { inventoryProxy } from './inventory/inventory.proxy.js';\nexport const p = inventoryProxy;\n`,
      file,
    );
    expect(own.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
