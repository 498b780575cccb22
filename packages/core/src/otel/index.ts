// @auth/core/otel: the engine's metrics and traces through OpenTelemetry. The only module of
// @auth/core that imports @opentelemetry/api (an optional peer dependency): without this
// subpath imported, nothing of OpenTelemetry is loaded. With the API and no SDK, every call is
// the API's no-op.
import {
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import type { EngineTelemetry, OperationOutcome, StoreOperation } from '../engine/telemetry.js'
import { isAuthError } from '../errors/index.js'

/** Options of {@link otel}. */
export interface OtelOptions {
  /** Where metrics go. Default: the global one (`metrics.getMeterProvider()`), a no-op until an SDK registers. */
  readonly meterProvider?: MeterProvider
  /** Where spans go. Default: the global one (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider
  /**
   * Put the family's subject on spans as `enduser.id`. Default false: a subject is personal data
   * in many systems. Metrics never carry it, nor a family id or an IP.
   */
  readonly recordSubject?: boolean
}

/** The instrumentation scope's name: what the instruments and spans are filed under. */
export const INSTRUMENTATION_SCOPE = '@auth/core'

/** Every instrument {@link otel} creates, by name: docs/operations.md lists them with their attributes. */
export const INSTRUMENTS = {
  refreshOutcomes: 'auth.refresh.outcomes',
  refreshDuration: 'auth.refresh.duration',
  issues: 'auth.issues',
  revocations: 'auth.revocations',
  reuseDetected: 'auth.reuse_detected',
  verifications: 'auth.access_token.verifications',
  storeDuration: 'auth.store.duration',
  storeErrors: 'auth.store.errors',
} as const

/** Seconds: from 100 µs to 5 s, the span of a refresh or a store call. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * The engine's telemetry through OpenTelemetry: pass it as `createEngine({ telemetry: otel() })`.
 *
 * - Counters: `auth.refresh.outcomes` by `auth.decision` (rotated, replayed, reuse_detected,
 *   expired, rejected), `auth.issues`, `auth.revocations` by `auth.revocation.reason`,
 *   `auth.reuse_detected` (every path, logout included: alert on it), `auth.access_token.verifications`
 *   by `auth.result` (`ok` or the error code), `auth.store.errors` by `auth.store.operation` and
 *   `error.type`.
 * - Histograms (seconds): `auth.refresh.duration` by `auth.decision`, `auth.store.duration` by
 *   `auth.store.operation`.
 * - Spans: `auth.issue`, `auth.refresh` and `auth.store.<operation>` inside them, with
 *   `auth.decision` and `auth.family_id` (and `enduser.id` with `recordSubject`). No attribute
 *   ever holds a token, a secret or an error message (a driver's may name a host and a user).
 */
export function otel(options: OtelOptions = {}): EngineTelemetry {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE)
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE)
  const recordSubject = options.recordSubject === true
  const counter = (name: string, description: string, unit: string): Counter =>
    meter.createCounter(name, { description, unit })
  const histogram = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: BUCKETS } })

  const refreshOutcomes = counter(INSTRUMENTS.refreshOutcomes, 'Refreshes, by decision', '{refresh}')
  const refreshDuration = histogram(INSTRUMENTS.refreshDuration, 'How long a refresh took, store calls included')
  const issues = counter(INSTRUMENTS.issues, 'Families issued (logins)', '{family}')
  const revocations = counter(INSTRUMENTS.revocations, 'Families revoked, by reason', '{family}')
  const reuse = counter(INSTRUMENTS.reuseDetected, 'Refresh-token reuse detected: a likely theft', '{family}')
  // The guard's hot path: counted here, in plain numbers, and handed to OpenTelemetry when a
  // reader collects (an asynchronous counter), so a verification costs an increment, SDK or not.
  let verifiedOk = 0
  const refused = new Map<string, number>()
  meter
    .createObservableCounter(INSTRUMENTS.verifications, {
      description: 'Access-token verifications, by result',
      unit: '{token}',
    })
    .addCallback((observer) => {
      if (verifiedOk > 0) observer.observe(verifiedOk, attributes('auth.result', 'ok'))
      for (const [code, count] of refused) observer.observe(count, attributes('auth.result', code))
    })
  const storeDuration = histogram(INSTRUMENTS.storeDuration, 'How long a store call took, by operation')
  const storeErrors = counter(INSTRUMENTS.storeErrors, 'Store calls that failed, by operation', '{error}')

  // Attribute sets are few and fixed: made once each, so recording allocates nothing.
  const sets = new Map<string, Attributes>()
  const attributes = (key: string, value: string): Attributes => {
    const id = `${key}\u0000${value}`
    let set = sets.get(id)
    if (set === undefined) {
      set = Object.freeze({ [key]: value })
      sets.set(id, set)
    }
    return set
  }

  const fail = (span: Span, error: unknown): string => {
    const type = isAuthError(error) ? error.code : 'Error'
    span.setAttribute('error.type', type)
    span.setStatus({ code: SpanStatusCode.ERROR, message: type })
    return type
  }

  return {
    run(operation, fn, outcome) {
      return tracer.startActiveSpan(`auth.${operation}`, async (span) => {
        const start = performance.now()
        try {
          const value = await fn()
          const ended: OperationOutcome = outcome(value)
          span.setAttribute('auth.decision', ended.outcome)
          if (ended.familyId !== undefined) span.setAttribute('auth.family_id', ended.familyId)
          if (recordSubject && ended.subject !== undefined) span.setAttribute('enduser.id', ended.subject)
          if (operation === 'refresh') {
            const decision = attributes('auth.decision', ended.outcome)
            refreshOutcomes.add(1, decision)
            refreshDuration.record((performance.now() - start) / 1000, decision)
          }
          return value
        } catch (error) {
          fail(span, error)
          throw error
        } finally {
          span.end()
        }
      })
    },

    store<T>(operation: StoreOperation, fn: () => Promise<T>): Promise<T> {
      return tracer.startActiveSpan(`auth.store.${operation}`, async (span) => {
        const start = performance.now()
        const op = attributes('auth.store.operation', operation)
        span.setAttributes(op)
        try {
          return await fn()
        } catch (error) {
          const type = fail(span, error)
          storeErrors.add(1, { 'auth.store.operation': operation, 'error.type': type })
          throw error
        } finally {
          storeDuration.record((performance.now() - start) / 1000, op)
          span.end()
        }
      })
    },

    verified(result) {
      if (result === 'ok') verifiedOk++
      else refused.set(result, (refused.get(result) ?? 0) + 1)
    },

    event(event) {
      switch (event.type) {
        case 'issued':
          issues.add(1)
          break
        case 'revoked':
          revocations.add(1, attributes('auth.revocation.reason', event.reason))
          break
        case 'reuse_detected':
          reuse.add(1)
          break
        default:
          break
      }
    },
  }
}

export type { EngineTelemetry, OperationOutcome, StoreOperation } from '../engine/telemetry.js'
