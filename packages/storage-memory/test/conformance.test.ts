import { runStoreConformance } from '@auth/storage-conformance'
import { createMemoryStore } from '@auth/storage-memory'

runStoreConformance({
  name: 'memory',
  expiry: 'clock',
  setup: async ({ clock }) => {
    const store = createMemoryStore({ clock })
    return {
      store,
      inspect: {
        // The memory store keeps its Map private, so "raw" reads through `get`: these checks prove
        // the round trip, not an independent decoding of what was stored.
        raw: (id) => store.get(id),
        corrupt: async () => {
          throw new Error('the memory store has no raw-access hook to plant bad data through')
        },
      },
      cleanup: async () => {},
    }
  },
  skip: {
    corrupt:
      'the memory store holds frozen objects the driver itself wrote and exposes no raw-access hook, so there is no persisted form that could be corrupted',
  },
})
