/**
 * vitest globalSetup: builds the prebundled handlers (`dist/handlers/`), which the construct deploys
 * and every template test synthesizes, and the compiled CLI and library (`dist/esm`, `dist/cjs`),
 * which `npx kinesis-destination` runs, and the local console's page (`dist/console/`), which the
 * browser test opens — without declarations, the slow part of `npm run build`.
 * About a second; every test run starts from the current source.
 */
import { buildPackage } from '../../scripts/build.js';

export default async function setup(): Promise<void> {
  await buildPackage('js', () => undefined);
}
