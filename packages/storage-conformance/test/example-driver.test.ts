import { FAMILY_RECORD_FIELDS, type FamilyRecord } from '@auth/core'
import { runStoreConformance } from '@auth/storage-conformance'
import { createJsonMapStore } from './example-driver.js'

// The worked example of docs/storage/writing-a-driver.md, run through the whole suite.
runStoreConformance({
  name: 'example json-map driver',
  expiry: 'purge',
  setup: async () => {
    const store = createJsonMapStore()
    return {
      store,
      inspect: {
        async raw(id) {
          const json = store.rows.get(id)
          if (json === undefined) return null
          try {
            const record = JSON.parse(json) as FamilyRecord
            const known = Object.keys(record).every((name) =>
              (FAMILY_RECORD_FIELDS as readonly string[]).includes(name),
            )
            return known && typeof record.generation === 'number' && typeof record.nonce === 'string'
              ? record
              : 'corrupt'
          } catch {
            return 'corrupt'
          }
        },
        async corrupt(id, kind) {
          const record = JSON.parse(store.rows.get(id) as string) as Record<string, unknown>
          if (kind === 'garbage') store.rows.set(id, '{"not json')
          else if (kind === 'missing_field') store.rows.set(id, JSON.stringify({ ...record, nonce: undefined }))
          else if (kind === 'unknown_field') store.rows.set(id, JSON.stringify({ ...record, futureBinding: 'key-7' }))
          else store.rows.set(id, JSON.stringify({ ...record, generation: String(record.generation) }))
        },
      },
      cleanup: async () => store.rows.clear(),
    }
  },
})
