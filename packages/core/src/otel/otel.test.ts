// @auth/core/otel (issue 16) with the real OpenTelemetry SDKs and in-memory exporters: the
// instruments' names, units and attributes, spans around issue, refresh and every store call
// (store spans inside the operation's), no token, secret, subject or error message in any
// attribute unless asked, and a storage outage counted by operation.
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  type CollectionResult,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FamilyStore } from '../engine/store.js'
import { createManualClock, createTestEngine, createTestStore } from '../testing/index.js'
import { INSTRUMENTS, otel } from './index.js'

/** A pull reader: the test collects when it wants. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const contextManager = new AsyncLocalStorageContextManager()
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
})
afterAll(() => {
  context.disable()
  trace.disable()
})

function telemetry(recordSubject = false) {
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const spans = new InMemorySpanExporter()
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] })
  return { reader, spans, telemetry: otel({ meterProvider, tracerProvider, recordSubject }) }
}

/** Every data point of `name`, as [attributes, value] (a histogram's value is its count). */
async function points(reader: TestReader, name: string) {
  const { resourceMetrics }: CollectionResult = await reader.collect()
  const found = (resourceMetrics as ResourceMetrics).scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === name)
  if (found === undefined) return { unit: undefined, points: [] }
  return {
    unit: found.descriptor.unit,
    points: found.dataPoints.map((p) => [
      p.attributes,
      typeof p.value === 'number' ? p.value : (p.value as { count: number }).count,
    ]),
  }
}

describe('otel(): the engine through OpenTelemetry', () => {
  it('counts refreshes by decision, issues, revocations by reason, reuse and verifications, with units', async () => {
    const { reader, telemetry: t } = telemetry()
    const { engine, clock } = createTestEngine({ telemetry: t, policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    const first = await engine.refresh(login.refreshToken)
    await engine.refresh(login.refreshToken) // a grace replay
    clock.advance(60_000)
    await engine.refresh(login.refreshToken) // reuse: the family is revoked
    await engine.refresh('not-a-token') // rejected
    if (!first.ok) throw new Error('no rotation')
    await engine.verifyAccess(first.pair.accessToken)
    await engine.verifyAccess('garbage')
    const other = await engine.issue('bob')
    await engine.revoke(other.familyId, 'logout')

    const outcomes = await points(reader, INSTRUMENTS.refreshOutcomes)
    expect(outcomes.unit).toBe('{refresh}')
    expect(outcomes.points).toEqual(
      expect.arrayContaining([
        [{ 'auth.decision': 'rotated' }, 1],
        [{ 'auth.decision': 'replayed' }, 1],
        [{ 'auth.decision': 'reuse_detected' }, 1],
        [{ 'auth.decision': 'rejected' }, 1],
      ]),
    )
    expect(outcomes.points).toHaveLength(4)
    const durations = await points(reader, INSTRUMENTS.refreshDuration)
    expect(durations.unit).toBe('s')
    expect(durations.points.reduce((n, [, count]) => n + (count as number), 0)).toBe(4)
    expect((await points(reader, INSTRUMENTS.issues)).points).toEqual([[{}, 2]])
    expect((await points(reader, INSTRUMENTS.revocations)).points).toEqual(
      expect.arrayContaining([
        [{ 'auth.revocation.reason': 'reuse_detected' }, 1],
        [{ 'auth.revocation.reason': 'logout' }, 1],
      ]),
    )
    expect((await points(reader, INSTRUMENTS.reuseDetected)).points).toEqual([[{}, 1]])
    // The revoked family's token still verifies here (no revocation feed); the garbage does not.
    expect((await points(reader, INSTRUMENTS.verifications)).points).toEqual(
      expect.arrayContaining([
        [{ 'auth.result': 'ok' }, 1],
        [{ 'auth.result': 'ERR_ACCESS_TOKEN_MALFORMED' }, 1],
      ]),
    )
    const store = await points(reader, INSTRUMENTS.storeDuration)
    expect(store.unit).toBe('s')
    const ops = store.points.map(([attributes]) => (attributes as Record<string, string>)['auth.store.operation'])
    expect(ops).toEqual(expect.arrayContaining(['create', 'get', 'compareAndSet']))
    // No metric attribute names a family, a subject or an address.
    const { resourceMetrics } = await reader.collect()
    const keys = new Set(
      resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.flatMap((m) => m.dataPoints.flatMap((p) => Object.keys(p.attributes))),
      ),
    )
    expect([...keys].sort()).toEqual(['auth.decision', 'auth.result', 'auth.revocation.reason', 'auth.store.operation'])
  })

  it('spans: auth.refresh with its store calls inside, the decision and family id, never a token or the subject', async () => {
    const { spans, telemetry: t } = telemetry()
    const { engine } = createTestEngine({ telemetry: t, policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    const rotated = await engine.refresh(login.refreshToken)
    const finished = spans.getFinishedSpans()
    const refresh = finished.find((s) => s.name === 'auth.refresh')
    expect(refresh?.attributes).toEqual({ 'auth.decision': 'rotated', 'auth.family_id': login.familyId })
    const inside = finished.filter((s) => s.parentSpanContext?.spanId === refresh?.spanContext().spanId)
    expect(inside.map((s) => s.name)).toEqual(['auth.store.get', 'auth.store.compareAndSet'])
    expect(finished.find((s) => s.name === 'auth.issue')?.attributes).toMatchObject({ 'auth.decision': 'issued' })
    const everything = JSON.stringify(finished.map((s) => s.attributes))
    for (const secret of [
      login.refreshToken,
      login.accessToken,
      rotated.ok ? rotated.pair.refreshToken : 'x',
      'alice',
    ]) {
      expect(everything).not.toContain(secret)
    }
  })

  it('recordSubject puts enduser.id on the operation spans, and only there', async () => {
    const { spans, reader, telemetry: t } = telemetry(true)
    const { engine } = createTestEngine({ telemetry: t, policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    await engine.refresh(login.refreshToken)
    expect(spans.getFinishedSpans().find((s) => s.name === 'auth.refresh')?.attributes['enduser.id']).toBe('alice')
    const { resourceMetrics } = await reader.collect()
    expect(JSON.stringify(resourceMetrics.scopeMetrics.map((s) => s.metrics.map((m) => m.dataPoints)))).not.toContain(
      'alice',
    )
  })

  it('a store outage is counted by operation and marks the spans as errors, with its code and no message', async () => {
    const { reader, spans, telemetry: t } = telemetry()
    const clock = createManualClock()
    const real = createTestStore({ clock })
    let down = false
    const flaky: FamilyStore = {
      ...real,
      create: (record) => real.create(record),
      compareAndSet: (id, version, next) => real.compareAndSet(id, version, next),
      listBySubject: (subject, page) => real.listBySubject(subject, page),
      get: async (id) => {
        if (down) throw new Error('connect ECONNREFUSED postgres://auth:hunter2@10.0.0.5')
        return real.get(id)
      },
    }
    const { engine } = createTestEngine({ telemetry: t, store: flaky, clock, policy: { graceBinding: 'none' } })
    const login = await engine.issue('alice')
    down = true
    await expect(engine.refresh(login.refreshToken)).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    expect((await points(reader, INSTRUMENTS.storeErrors)).points).toEqual([
      [{ 'auth.store.operation': 'get', 'error.type': 'ERR_STORAGE_UNAVAILABLE' }, 1],
    ])
    const failed = spans.getFinishedSpans().filter((s) => s.status.code === 2)
    expect(failed.map((s) => s.name).sort()).toEqual(['auth.refresh', 'auth.store.get'])
    expect(JSON.stringify(failed.map((s) => [s.attributes, s.status, s.events]))).not.toMatch(/hunter2|10\.0\.0\.5/)
  })

  it('createEngine refuses a telemetry that is not one', () => {
    expect(() => createTestEngine({ telemetry: {} as never })).toThrow(/telemetry must be an EngineTelemetry/)
  })
})
