// @auth/core/testing/fast-check: arbitraries for property tests (needs fast-check installed).
export { claimsArb, metaArb, recordArb, textArb } from './arbitraries.js'
