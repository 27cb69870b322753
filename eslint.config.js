import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SUBGRAPHS = ['customer', 'inventory', 'order'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.data/**', '**/generated/**', 'coverage/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // No subgraph imports another (docs/adr/0013); `pnpm check:boundaries` checks package.json files too.
  ...SUBGRAPHS.map((name) => ({
    files: [`subgraphs/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: SUBGRAPHS.filter((other) => other !== name).flatMap((other) => [
                `@shopgraph/${other}`,
                `@shopgraph/${other}/*`,
                `**/subgraphs/${other}/**`,
                `**/${other}/src/**`,
                `**/${other}/test/**`,
              ]),
              message:
                'A subgraph never imports another: reach it through its API, keep shared contracts in schema/ or lib/ (docs/adr/0013).',
            },
          ],
        },
      ],
    },
  })),
  {
    // Tests read loosely typed GraphQL responses.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
