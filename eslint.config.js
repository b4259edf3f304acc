import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/native/build/', 'test-artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript here is Node code: fixtures and benchmarks.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // The engine must run in plain Node: no Electron below src/main/engine/.
    files: [
      'src/main/engine/**',
      'src/main/controller/**',
      'src/renderer/**',
      'src/shared/**',
      'src/gateway/**',
      'src/cli/**',
      'src/native/**',
      'src/lab/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Electron-free code.' }] },
      ],
    },
  },
);
