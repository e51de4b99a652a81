#!/usr/bin/env node
/**
 * The `kinesis-destination` command (package.json "bin"; `npx kinesis-destination <command>`, and
 * what `npm run cli` runs). The CLI is TypeScript: this shim registers tsx's loader in this process
 * — no child process, so Ctrl-C reaches `local up` itself — then imports `bin/cli.ts`.
 */
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Our tsconfig, not the one of the directory the command runs in.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('./cli.ts');
