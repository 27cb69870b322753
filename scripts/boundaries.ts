import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/*
 * No subgraph depends on another (docs/adr/0013): not in its package.json,
 * not by importing another's package, not by a relative path into another's
 * folder. Shared contracts belong in schema/ or lib/.
 */

export interface BoundaryViolation {
  /** The file at fault, relative to the repository root. */
  file: string;
  /** The dependency or import that crosses. */
  reference: string;
  /** The subgraph it reaches into. */
  reaches: string;
}

interface Subgraph {
  folder: string;
  dir: string;
  packageName: string;
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
/** Module specifiers of static and dynamic imports, re-exports and requires. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function subgraphsOf(root: string): Subgraph[] {
  const base = join(root, 'subgraphs');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((folder) => existsSync(join(base, folder, 'package.json')))
    .map((folder) => {
      const dir = join(base, folder);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
      return { folder, dir, packageName: manifest.name };
    });
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(c|m)?(t|j)sx?$/.test(entry)) yield path;
  }
}

/** Every place under `root` where a subgraph depends on or imports another subgraph. */
export function findBoundaryViolations(root: string): BoundaryViolation[] {
  const subgraphs = subgraphsOf(root);
  const violations: BoundaryViolation[] = [];
  for (const own of subgraphs) {
    const others = subgraphs.filter((s) => s !== own);
    const manifestPath = join(own.dir, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, Record<string, string>>;
    for (const field of DEPENDENCY_FIELDS) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        const other = others.find((o) => o.packageName === name);
        if (other) violations.push({ file: relative(root, manifestPath), reference: name, reaches: other.folder });
      }
    }
    for (const file of sourceFiles(own.dir)) {
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(SPECIFIER)) {
        const other = specifier!.startsWith('.')
          ? others.find((o) => {
              const target = resolve(dirname(file), specifier!);
              return target === o.dir || target.startsWith(o.dir + sep);
            })
          : others.find((o) => specifier === o.packageName || specifier!.startsWith(`${o.packageName}/`));
        if (other) violations.push({ file: relative(root, file), reference: specifier!, reaches: other.folder });
      }
    }
  }
  return violations;
}
