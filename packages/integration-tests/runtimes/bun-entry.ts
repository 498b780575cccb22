// Bun: reads the vectors from the file named by argv, runs the suite, prints the report as JSON.
import { runSuite, type Vectors } from './verify-suite.js'

declare const Bun: { readonly version: string; file(path: string): { text(): Promise<string> } }

const file = process.argv[2]
if (file === undefined) throw new Error('usage: bun bun-entry.ts <vectors.json>')
const vectors = JSON.parse(await Bun.file(file).text()) as Vectors
console.log(JSON.stringify(await runSuite(vectors, `bun ${Bun.version}`)))
