import { defineConfig } from 'vitest/config'
import { StrictSkipReporter } from './scripts/strict-skip-reporter.ts'

// Tests run from src/ through the private "@auth/source" export condition: no build needed.
const conditions = ['@auth/source', 'node', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  // Vitest passes ssr conditions to Node as --conditions: never 'import' there, or CJS packages
  // (Express's router requiring is-promise) get an ESM namespace from require().
  ssr: { resolve: { conditions: ['@auth/source', 'node'], externalConditions: ['@auth/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', new StrictSkipReporter()],
    typecheck: { enabled: false },
  },
})
