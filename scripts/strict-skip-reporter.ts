import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints one plain closing line (`tests: N passed, N failed, N skipped`) and, when
 * AUTH_FAIL_ON_SKIP=1 (set by .ci/run), fails the run if any test was skipped or left as todo:
 * in CI every suite, including the ones that need PostgreSQL, MariaDB or Redis, must really run.
 */
export class StrictSkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    const skipped: string[] = []
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped.push(`${mod.moduleId.replace(process.cwd(), '.')} > ${test.fullName}`)
      }
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`)
    if (skipped.length > 0 && process.env.AUTH_FAIL_ON_SKIP === '1') {
      process.stdout.write(`AUTH_FAIL_ON_SKIP=1 and ${skipped.length} test(s) did not run:\n`)
      for (const s of skipped.slice(0, 50)) process.stdout.write(`  - ${s}\n`)
      process.exitCode = 1
    }
  }
}
