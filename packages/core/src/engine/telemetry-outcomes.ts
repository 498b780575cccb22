// The outcomes the engine names for telemetry (engine/telemetry.ts), from its results.
import type { OperationOutcome, RefreshDecision } from './telemetry.js'
import type { RefreshResult, TokenPair } from './types.js'

/** A refresh result's decision. */
export function refreshOutcome(result: RefreshResult): OperationOutcome {
  if (result.ok) return { outcome: result.type, familyId: result.family.id, subject: result.family.subject }
  const decision: RefreshDecision =
    result.code === 'ERR_REFRESH_TOKEN_REUSED'
      ? 'reuse_detected'
      : result.code === 'ERR_REFRESH_TOKEN_EXPIRED'
        ? 'expired'
        : 'rejected'
  return { outcome: decision, familyId: 'familyId' in result ? result.familyId : undefined }
}

/** An issue's outcome. */
export function issueOutcome(pair: TokenPair): OperationOutcome {
  return { outcome: 'issued', familyId: pair.familyId }
}
