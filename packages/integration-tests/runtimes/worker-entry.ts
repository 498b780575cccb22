// workerd: a Worker whose fetch handler runs the suite on the vectors the Node test bundled in.
import { runSuite, type Vectors } from './verify-suite.js'

declare const VECTORS: Vectors

export default {
  async fetch(): Promise<Response> {
    return Response.json(await runSuite(VECTORS, 'workerd'))
  },
}
