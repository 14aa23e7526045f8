// ESLint (typescript-eslint) for Lifeline: the recommended rules, no floating promises, and the layers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NODE_BUILTINS = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'crypto',
  'stream',
  'zlib',
  'util',
].flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      'test-artifacts/**',
      'bench/results/**',
      '*.config.js',
      '*.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        project: ['./tsconfig.test.json', './tsconfig.bench.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Workflows run in Temporal's deterministic sandbox: no Node built-ins, activity types only.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'workflows are deterministic: do I/O in an activity' })),
          patterns: [
            {
              group: ['**/activities/*', '!**/activities/index'],
              allowTypeImports: true,
              message: 'workflows import activity types only',
            },
            {
              group: ['**/client/*', '**/api/*', '**/worker/*', '**/store/*', '**/config/*'],
              message: 'workflows do not reach entry points, the store or config files',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain holds pure rules: nothing that does I/O.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'the domain is pure: no I/O' })),
          patterns: [
            {
              group: [
                '**/activities/*',
                '**/client/*',
                '**/api/*',
                '**/worker/*',
                '**/store/*',
                '**/config/*',
                '**/workflows/*',
              ],
              message: 'the domain imports nothing that does I/O',
            },
          ],
        },
      ],
    },
  },
);
