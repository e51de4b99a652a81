#!/usr/bin/env node
/**
 * The CLI from source, in a clone of the repository (`npm run cli -- <command>`): this shim registers
 * tsx's loader (a devDependency) in this process — no child process, so Ctrl-C reaches `local up`
 * itself — then imports `bin/cli.ts`. The installed package's `kinesis-destination` command (package.json
 * "bin") is the compiled `dist/esm/bin/cli.js` instead, which needs no loader.
 */
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Our tsconfig, not the one of the directory the command runs in.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('./cli.ts');
