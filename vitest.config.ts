import { defineConfig } from 'vitest/config';
import { LongWaitsFirstSequencer } from './test/setup/sequencer.js';

/**
 * A test file's project follows from its path alone, so a new file is classified without editing this
 * config (test/repo/test-projects.test.ts holds every test file to exactly one project):
 *
 * - **e2e** — under `test/e2e/`, or named `*.e2e.test.ts`: the file starts an emulator (the local stack,
 *   DynamoDB Local, kinesalite, the SQS emulator, the fault proxy) or a child process (the CLI, the CDK
 *   app). Forks, one file per process: the in-process functions keep the endpoints of the first stack
 *   they were imported with, so one process runs one stack. The stacks share one DynamoDB Local JVM,
 *   each with tables of its own (measured: a full run 167 s and 327 s of CPU with a JVM per file, 142 s
 *   and 274 s shared).
 * - **infra** — the rest of `test/infra/`: CDK synthesis in process. Each of two worker threads imports
 *   aws-cdk-lib once for all the files it runs (no isolation between them): importing it costs about 5 s
 *   of CPU, the synthesis itself far less. Nothing else belongs here: no mocked client, no global state.
 * - **unit** — every other `test/**\/*.test.ts`: pure code and mocked clients, each file isolated, in the
 *   worker threads the infra files use: the forks stay free for the e2e files (measured: a full run
 *   208 s with unit files in the forks beside the e2e files, 183 s with them in the threads).
 *
 * `npm run test:unit` runs unit and infra, `npm run test:e2e` runs e2e, `npm test` all three.
 */
export const TEST_FILES = 'test/**/*.test.ts';
export const E2E_FILES = ['test/e2e/**/*.test.ts', 'test/**/*.e2e.test.ts'];
export const INFRA_FILES = ['test/infra/**/*.test.ts'];

/** No test may reach AWS: set in every project (each inherits the root's `test` options with `extends`). */
const SAFETY_ENV = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // An SDK call that no mock or emulator catches goes to a closed loopback port and fails at once.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_REGION: 'us-east-1',
  // Dummy credentials keep the SDK from asking the instance metadata service.
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/**
 * DynamoDB Local's JVM (one per local stack) with the client compiler only and the serial collector: a
 * test JVM lives for seconds to a minute, and C2 compilation was half of its CPU (measured: 22 s → 12 s
 * of JVM CPU for the record-faults file, 6 s → 3.3 s for export-rules). The JVM prints one "Picked up
 * JAVA_TOOL_OPTIONS" line on stderr.
 */
const TEST_JVM_ENV = { JAVA_TOOL_OPTIONS: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' };

export default defineConfig({
  test: {
    // Builds dist/ (the prebundled handlers the construct deploys) once before any project runs.
    globalSetup: ['test/setup/build-dist.ts'],
    // Each file's changes to process.env and process.exitCode end with it (threads share a process).
    setupFiles: ['test/setup/restore-process.ts'],
    // A fresh clone has no record of file durations: the long-waiting e2e files start first anyway.
    sequence: { sequencer: LongWaitsFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { ...SAFETY_ENV, ...TEST_JVM_ENV },
    // Worker counts are per pool, not per project (vitest 3): unit and infra share the threads pool (the
    // unit project isolates its files; infra does not), e2e has the forks.
    poolOptions: {
      // The infra files: one aws-cdk-lib import per thread, not per file (unit overrides isolate).
      threads: { isolate: false, maxThreads: 2, minThreads: 1 },
      // End-to-end files wait more than they compute (emulator start, pollers, visibility timeouts): four
      // at a time on two cores (measured: a full run 233 s with three, 170 s with four, at load 4–8; 219 s
      // with six), the longest first (vitest orders files by their last duration).
      forks: { isolate: true, maxForks: 4, minForks: 1 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [TEST_FILES],
          exclude: [...E2E_FILES, ...INFRA_FILES],
          pool: 'threads',
          poolOptions: { threads: { isolate: true } },
        },
      },
      {
        extends: true,
        test: { name: 'infra', include: INFRA_FILES, exclude: E2E_FILES, pool: 'threads' },
      },
      {
        extends: true,
        // Four files at a time on two shared cores: a test that waits on emulators gets two minutes.
        test: {
          name: 'e2e',
          include: E2E_FILES,
          pool: 'forks',
          testTimeout: 120_000,
          // One DynamoDB Local JVM for the whole project (test/helpers/stack.ts gives each stack its tables).
          globalSetup: ['test/setup/shared-dynamodb.ts'],
        },
      },
    ],
  },
});
