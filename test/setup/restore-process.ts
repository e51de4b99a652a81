/**
 * vitest setupFile, run before each test file: whatever the file changes in `process.env` or
 * `process.exitCode` is undone when it ends. The unit and infra files share their worker thread's
 * process (threads pool), so a variable one file sets would otherwise reach the next one.
 */
import { afterAll } from 'vitest';

const env = { ...process.env };
const exitCode = process.exitCode;

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
  process.exitCode = exitCode;
});
