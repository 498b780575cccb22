import { contractSuite } from './suites/contract.js'
import { corruptSuite } from './suites/corrupt.js'
import { engineSuite } from './suites/engine.js'
import { expirySuite } from './suites/expiry.js'
import { modelSuite } from './suites/model.js'
import { racesSuite } from './suites/races.js'
import type { ConformanceOptions } from './types.js'

/**
 * Registers every conformance suite for one driver as vitest `describe`/`it` blocks. Call it at
 * the top level of a test file of your own:
 *
 * ```ts
 * import { runStoreConformance } from '@auth/storage-conformance'
 *
 * runStoreConformance({
 *   name: 'my-driver',
 *   expiry: 'purge',
 *   setup: async () => {
 *     const store = await createMyStore({ table: `families_${crypto.randomUUID().slice(0, 8)}` })
 *     return { store, inspect: myInspector(store), cleanup: () => store.dropEverything() }
 *   },
 * })
 * ```
 *
 * Each suite is also exported on its own ({@link contractSuite}, {@link expirySuite}, …) for
 * drivers that want to arrange them differently. An opted-out suite (see
 * {@link ConformanceOptions.skip}) prints its reason and registers nothing.
 */
export function runStoreConformance(options: ConformanceOptions): void {
  contractSuite(options)
  expirySuite(options)
  racesSuite(options)
  corruptSuite(options)
  engineSuite(options)
  modelSuite(options)
}
