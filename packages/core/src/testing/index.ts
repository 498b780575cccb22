// @auth/core/testing: what tests of the library, of a driver or of an app need. The fast-check
// arbitraries are in @auth/core/testing/fast-check (fast-check is an optional peer dependency).
export { createManualClock, type ManualClock } from './clock.js'
export { listAllBySubject } from './list.js'
export { createSeededRandom } from './random.js'
export { MAX_TIME, makeRecord, newFamilyId, newSubject, randomToken, revoke, rotate } from './records.js'
export { freePort, serviceUrl } from './services.js'
export { createTestEngine, TEST_SECRET, type TestEngine } from './test-engine.js'
export { createTestStore, type TestStore } from './test-store.js'
