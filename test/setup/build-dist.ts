/**
 * vitest globalSetup: builds the prebundled handlers (`dist/handlers/`), which the construct deploys
 * and every template test synthesizes, and the compiled CLI and library (`dist/esm`, `dist/cjs`),
 * which `npx kinesis-destination` runs, and the local console's page (`dist/console/`), which the
 * browser test opens — without declarations, the slow part of `npm run build`.
 * About a second; every test run starts from the current source.
 */
import { buildPackage } from '../../scripts/build.js';

/**
 * The build of this vitest process. vitest runs a root globalSetup once for the root and again for
 * every project that extends it (four builds, about 4 s before the first test); the first one builds.
 */
const BUILT = Symbol.for('kinesis-destination.test.dist-built');

export default async function setup(): Promise<void> {
  const registry = globalThis as { [BUILT]?: Promise<void> };
  registry[BUILT] ??= buildPackage('js', () => undefined);
  await registry[BUILT];
}
