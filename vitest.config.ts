import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build-dist.ts'],
    // End-to-end and fault suites each run a whole local stack (a JVM, three emulators, both functions
    // under compressed timeouts): one file at a time, so no suite starves another on a 2-core machine
    // and turns timing into flaky failures.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // No test may reach AWS: an SDK call that no mock or emulator catches goes to a closed loopback
    // port and fails at once; dummy credentials keep the SDK from asking the instance metadata service.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  },
});
