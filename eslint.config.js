// Lint for the TypeScript sources, and the import direction between the rooms of src/ (docs/architecture.md):
// an import that points up the list fails.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Each room and the rooms it may not import (everything above it in docs/architecture.md). */
const ROOMS = [
  { files: ['src/model/**'], above: ['errors', 'util', 'graph', 'checks', 'engine', 'cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/errors.ts'], above: ['model', 'util', 'graph', 'checks', 'engine', 'cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/util/**'], above: ['graph', 'checks', 'engine', 'cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/graph.ts'], above: ['checks', 'engine', 'cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/checks/**'], above: ['engine', 'cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/engine.ts'], above: ['cluster', 'remedy', 'report', 'cli'] },
  { files: ['src/cluster/**'], above: ['graph', 'checks', 'engine', 'remedy', 'report', 'cli'] },
  { files: ['src/remedy/**'], above: ['report', 'cli'] },
  { files: ['src/report/**'], above: ['cluster', 'cli'] },
];

/** Import paths that reach `room` from a file one or two folders below src/. */
const patternsFor = (room) => [`**/${room}`, `**/${room}.js`, `**/${room}/**`];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests, the harness and the benchmark build raw API objects and hostile terminal text on purpose.
    files: ['test/**', 'hack/**', 'bench/**'],
    rules: { 'no-control-regex': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...ROOMS.map(({ files, above }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: above.flatMap(patternsFor), message: 'This import points up: see "Rooms and what each may import" in docs/architecture.md.' }],
      }],
    },
  })),
);
