/**
 * The project's layers, top to bottom; an import may only point down (docs/ARCHITECTURE.md):
 *
 *   bin/, examples/      entries: the CDK app, the CLI, the example CDK app
 *   cli/   bench/        the operator's commands (cli/console/: the local console's server, and its
 *                        page in cli/console/ui/, browser code); benchmarks (neither imports the other)
 *   local/               the local stack; local/event-sources/ below the rest of local/
 *   lib/                 CDK constructs
 *   lambdas/             the functions; lambdas/commons/ below the function folders
 *   adapters/            I/O with injected clients
 *   core/                pure: rules, payload, schemas, contracts, settings
 *
 * `npx depcruise` (CI: `npm run deps`) fails on any arrow pointing up, on a function importing another
 * function, and on any cycle.
 */
const layer = (folders) => `^(${folders.join('|')})/`;

/** A rule forbidding `from` to import any of `above`. */
function down(name, from, above, comment) {
  return { name, severity: 'error', comment, from: { path: from }, to: { path: layer(above) } };
}

module.exports = {
  forbidden: [
    down(
      'core-imports-only-core',
      '^core/',
      ['adapters', 'lambdas', 'lib', 'local', 'cli', 'bench', 'bin', 'examples', 'test'],
      'core/ is the pure core: it imports nothing else of the project.',
    ),
    down(
      'adapters-import-only-core',
      '^adapters/',
      ['lambdas', 'lib', 'local', 'cli', 'bench', 'bin', 'examples', 'test'],
      'adapters/ (I/O) import the core and nothing above it.',
    ),
    down(
      'functions-import-adapters-and-core',
      '^lambdas/',
      ['lib', 'local', 'cli', 'bench', 'bin', 'examples', 'test'],
      'A function imports adapters/, core/ and lambdas/commons/ only (no lambdas/ -> lib/).',
    ),
    down(
      'constructs-import-functions-adapters-core',
      '^lib/',
      ['local', 'cli', 'bench', 'bin', 'examples', 'test'],
      'lib/ (CDK constructs) may read a function folder (its environment.ts), never the local stack or the CLI.',
    ),
    down(
      'local-runtime-below-cli-and-bench',
      '^local/',
      ['cli', 'bench', 'bin', 'examples', 'test'],
      'The local stack is used by the CLI (local up) and the benchmarks, never the reverse (no local/ <-> cli/ cycle).',
    ),
    down('cli-does-not-import-bench', '^cli/', ['bench', 'bin', 'examples', 'test'], 'The CLI and the benchmarks are siblings.'),
    down('bench-does-not-import-cli', '^bench/', ['cli', 'bin', 'examples', 'test'], 'The CLI and the benchmarks are siblings.'),
    {
      name: 'event-sources-below-local-stack',
      severity: 'error',
      comment: 'local/event-sources/ (the event-source-mapping runtime) does not import the rest of local/.',
      from: { path: '^local/event-sources/' },
      to: { path: '^local/', pathNot: '^local/event-sources/' },
    },
    {
      name: 'console-page-is-browser-code',
      severity: 'error',
      comment:
        'cli/console/ui/ is the local console page, bundled for the browser (scripts/build-console.ts): it imports its own folder, the API types and its browser packages, never server code.',
      from: { path: '^cli/console/ui/' },
      to: { pathNot: ['^cli/console/ui/', '^cli/console/api-types\\.ts$', '^node_modules/(preact|htm|uplot)/'] },
    },
    {
      name: 'console-page-is-not-imported',
      severity: 'error',
      comment: 'The console page reaches the server only as built assets (dist/console/), never as an import.',
      from: { pathNot: '^cli/console/ui/' },
      to: { path: '^cli/console/ui/' },
    },
    {
      name: 'functions-are-independent',
      severity: 'error',
      comment: 'A function folder imports lambdas/commons/, never another function folder.',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^lambdas/', pathNot: ['^lambdas/$1/', '^lambdas/commons/'] },
    },
    {
      name: 'commons-below-functions',
      severity: 'error',
      comment: 'lambdas/commons/ is shared by every function and imports none of them.',
      from: { path: '^lambdas/commons/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/commons/' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core/ does no I/O and uses no AWS SDK client, CDK or Lambda runtime library.',
      from: { path: '^core/' },
      to: {
        path: [
          '^node_modules/@aws-sdk/client-',
          '^node_modules/@smithy/',
          '^node_modules/aws-cdk-lib',
          '^node_modules/constructs',
          '^node_modules/@aws-lambda-powertools',
          '^node_modules/@middy',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      comment: 'core/ does no I/O: no file system, network or child processes.',
      from: { path: '^core/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns)$' },
    },
    {
      name: 'export-machine-imports-only-core',
      severity: 'error',
      comment:
        'core/export-machine*.ts, the export batch decisions, is pure: it imports core/ modules only — nothing from adapters/, lambdas/, no package (AWS SDK, aws-lambda types, Middy, Powertools) and no Node built-in.',
      from: { path: '^core/export-machine' },
      to: { pathNot: '^core/' },
    },
    {
      name: 'runtime-code-does-not-use-cdk',
      severity: 'error',
      comment: 'Only lib/, bin/, examples/ and tests build CDK constructs; the functions and adapters never bundle aws-cdk-lib.',
      from: { path: layer(['core', 'adapters', 'lambdas', 'local']) },
      to: { path: ['^node_modules/aws-cdk-lib', '^node_modules/constructs', '^node_modules/cdk-nag'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No cycle, between files or between folders.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out', '^dist', '^coverage'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
