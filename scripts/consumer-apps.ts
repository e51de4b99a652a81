/**
 * The four CDK app shapes `npm run test:package` installs the packed package into
 * (scripts/test-package.ts): each writes its files into an empty directory, with a stack holding the
 * `KinesisDestination` construct (filled from `config.json`) and `addNagPacks` on the app.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the apps need from the test: a command runner, the repository, its aws-cdk CLI's version. */
export interface AppContext {
  readonly run: (
    cwd: string,
    command: string,
    args: readonly string[],
  ) => Promise<{ readonly status: number | null; readonly stderr: string }>;
  readonly root: string;
  readonly cdkVersion: string;
}

const STACK_BODY = `    new KinesisDestination(this, 'ProfileExports', {
      ...propsFromConfig(this, loadConfigFile('config.json')),
      pipelineName: 'profile-exports',
    });`;

/** The stack of a TypeScript app (both templates' import style). */
const tsStack = (className: string, cdkModule: string) => `import * as cdk from '${cdkModule}';
import type { Construct } from 'constructs';
import { KinesisDestination, loadConfigFile, propsFromConfig } from 'kinesis-destination';

export class ${className} extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
${STACK_BODY}
  }
}
`;

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** `cdk init app --language typescript`, as the installed CLI writes it; the construct in its stack. */
async function cdkInitApp(dir: string, ctx: AppContext): Promise<string> {
  const init = await ctx.run(dir, process.execPath, [
    join(ctx.root, 'node_modules/aws-cdk/bin/cdk'),
    'init',
    'app',
    '--language',
    'typescript',
    '--generate-only',
  ]);
  if (init.status !== 0) throw new Error(`cdk init failed:\n${init.stderr}`);
  writeFileSync(join(dir, 'lib/cdk-init-stack.ts'), tsStack('CdkInitStack', 'aws-cdk-lib/core'));
  const bin = readFileSync(join(dir, 'bin/cdk-init.ts'), 'utf8')
    .replace(
      "import * as cdk from 'aws-cdk-lib/core';",
      "import * as cdk from 'aws-cdk-lib/core';\nimport { addNagPacks } from 'kinesis-destination';",
    )
    .concat('addNagPacks(app);\n');
  writeFileSync(join(dir, 'bin/cdk-init.ts'), bin);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const cdkJson = JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')) as { app: string };
  return `app "${cdkJson.app}", typescript ${manifest.devDependencies.typescript}`;
}

/** The classic ts-node CommonJS template (cdk init before tsx), on the peer range's oldest aws-cdk-lib. */
function tsNodeApp(dir: string, ctx: AppContext): string {
  writeJson(join(dir, 'package.json'), {
    name: 'ts-node-app',
    version: '0.1.0',
    bin: { 'ts-node-app': 'bin/app.js' },
    scripts: { build: 'tsc', cdk: 'cdk' },
    devDependencies: {
      '@types/node': '^20.19.0',
      'aws-cdk': ctx.cdkVersion,
      'ts-node': '^10.9.2',
      typescript: '~5.9.3',
    },
    dependencies: { 'aws-cdk-lib': '2.276.0', constructs: '^10.0.0' },
  });
  writeJson(join(dir, 'tsconfig.json'), {
    compilerOptions: {
      target: 'ES2020',
      module: 'commonjs',
      lib: ['es2020', 'dom'],
      declaration: true,
      strict: true,
      noImplicitAny: true,
      strictNullChecks: true,
      noImplicitThis: true,
      alwaysStrict: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
      noImplicitReturns: true,
      noFallthroughCasesInSwitch: false,
      inlineSourceMap: true,
      inlineSources: true,
      experimentalDecorators: true,
      strictPropertyInitialization: false,
      typeRoots: ['./node_modules/@types'],
    },
    exclude: ['node_modules', 'cdk.out'],
  });
  writeJson(join(dir, 'cdk.json'), { app: 'npx ts-node --prefer-ts-exts bin/app.ts' });
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib/app-stack.ts'), tsStack('AppStack', 'aws-cdk-lib'));
  writeFileSync(
    join(dir, 'bin/app.ts'),
    `#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
import { addNagPacks } from 'kinesis-destination';
import { AppStack } from '../lib/app-stack';

const app = new cdk.App();
new AppStack(app, 'AppStack');
addNagPacks(app);
`,
  );
  return 'app "npx ts-node --prefer-ts-exts bin/app.ts", module commonjs, aws-cdk-lib 2.276.0';
}

/** A JavaScript app, CommonJS (`cdk init app --language javascript`'s shape) or ES modules. */
function jsApp(dir: string, ctx: AppContext, esm: boolean): string {
  writeJson(join(dir, 'package.json'), {
    name: esm ? 'js-esm-app' : 'js-cjs-app',
    version: '0.1.0',
    ...(esm ? { type: 'module' } : {}),
    scripts: { cdk: 'cdk' },
    devDependencies: { 'aws-cdk': ctx.cdkVersion },
    dependencies: { 'aws-cdk-lib': '^2.276.0', constructs: '^10.0.0' },
  });
  writeJson(join(dir, 'cdk.json'), { app: 'node bin/app.js' });
  mkdirSync(join(dir, 'bin'));
  const body = `class AppStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
${STACK_BODY}
  }
}

const app = new cdk.App();
new AppStack(app, 'AppStack');
addNagPacks(app);
`;
  const imports = esm
    ? "import * as cdk from 'aws-cdk-lib';\nimport { addNagPacks, KinesisDestination, loadConfigFile, propsFromConfig } from 'kinesis-destination';\n"
    : "const cdk = require('aws-cdk-lib');\nconst { addNagPacks, KinesisDestination, loadConfigFile, propsFromConfig } = require('kinesis-destination');\n";
  writeFileSync(join(dir, 'bin/app.js'), `#!/usr/bin/env node\n${imports}\n${body}`);
  return esm ? 'app "node bin/app.js", "type": "module", import' : 'app "node bin/app.js", require';
}

/** A consumer app: its stack's name, and what writes its files (and says what shape it has). */
export interface ConsumerApp {
  readonly stack: string;
  readonly create: (dir: string, ctx: AppContext) => string | Promise<string>;
}

/** The four app shapes, by name. */
export const APPS: Record<string, ConsumerApp> = {
  'cdk-init': { stack: 'CdkInitStack', create: cdkInitApp },
  'ts-node': { stack: 'AppStack', create: tsNodeApp },
  'js-cjs': { stack: 'AppStack', create: (dir, ctx) => jsApp(dir, ctx, false) },
  'js-esm': { stack: 'AppStack', create: (dir, ctx) => jsApp(dir, ctx, true) },
};
