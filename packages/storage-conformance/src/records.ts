// The records the suites write: shared with every other test through @auth/core/testing.
export { MAX_TIME, makeRecord, newFamilyId, newSubject, randomToken, revoke, rotate } from '@auth/core/testing'
export { metaArb, recordArb, textArb } from '@auth/core/testing/fast-check'
