// @auth/core/testing/fast-check: arbitraries for property tests (needs fast-check installed).
export { metaArb, recordArb, textArb } from './arbitraries.js'
