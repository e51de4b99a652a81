/**
 * The local console in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run),
 * driven by playwright-core, against the local stack with the console attached as `local up` attaches
 * it. Profiles are written and their counters and records appear; an export is dead-lettered (the
 * destination stream answers 503 through the fault proxy), listed with its failure, redriven from the
 * page's button once the stream is back, and delivered. Screenshots go to test/artifacts/console/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConsole } from '../../cli/console/local-console.js';
import { type FaultProxy, startFaultProxy } from '../../local/fault-proxy.js';
import type { LocalStack } from '../../local/stack.js';
import { config as configOf, destination, membership, SEG } from '../helpers/factories.js';
import { startTestStack, writeTo } from '../helpers/stack.js';

/** Debian's Chromium (`apt-get install chromium`). */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts', 'console');
/** Headless, and nothing that reaches beyond loopback. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Long enough for three export attempts three seconds apart on a busy machine. */
const SLOW = 90_000;

const config = configOf({
  destinations: [
    destination({ id: 'marketing', streamName: 'console-marketing', segments: [SEG.john] }),
    destination({ id: 'analytics', streamName: 'console-analytics', segments: [SEG.delorean] }),
  ],
});

/** A profile in `segment` whose last name is `lastName`. */
function profile(id: string, segment: string, lastName: string) {
  return {
    profileId: id,
    person: { name: { firstName: 'Console', lastName } },
    identityMap: { email: [{ id: `${id}@example.com` }] },
    segmentMembership: { ups: { [segment]: membership('realized', '2024-01-01T00:00:00Z') } },
  };
}

let stack: LocalStack | undefined;
let localConsole: LocalConsole | undefined;
let proxy: FaultProxy | undefined;
let browser: BrowserContext | undefined;
let userDataDir: string | undefined;
const logged: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser test needs Debian's Chromium at ${CHROMIUM}: install it with apt-get install -y chromium (.ci/run does when it is missing)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  localConsole = await LocalConsole.open({ port: 0, log: (line) => logged.push(line) });
  stack = await startTestStack({
    config,
    functionKinesisEndpoint: async (emulator) => {
      proxy = await startFaultProxy({ target: emulator });
      return proxy.url;
    },
    // A failed export comes back after three seconds: three attempts take seconds, not minutes.
    timings: { exportVisibilityTimeoutSeconds: 3, exportTimeoutMs: 3_000 },
    // Dead-lettering is logged at ERROR by design; keep the test output readable. The funnel panel
    // reads the handlers' metrics (collected by the local runtime, not printed): on here.
    functionEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'false' },
    ...localConsole.stackOptions,
  });
  localConsole.attach(stack);
  // A fresh profile directory: no state from an earlier run, no first-run dialogs.
  userDataDir = mkdtempSync(join(tmpdir(), 'kd-console-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
});

afterAll(async () => {
  await browser?.close();
  await localConsole?.close();
  await stack?.stop();
  await proxy?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
});

/** Waits until the element with `testId` reads exactly `text`. */
async function expectText(page: Page, testId: string, text: string, timeout = SLOW): Promise<void> {
  await page
    .getByTestId(testId)
    .filter({ hasText: new RegExp(`^${text}$`) })
    .waitFor({ timeout });
}

/** A row of a destination's record feed for `profileId`. */
const recordRow = (page: Page, destinationId: string, profileId: string) =>
  page
    .getByTestId(`records-${destinationId}`)
    .locator(`[data-testid=record-row][data-profile="${profileId}"]`);

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('the local console in Chromium', () => {
  it('shows counters and records as profiles are written, and redrives a dead-lettered export from the page', async () => {
    const page = await (browser as BrowserContext).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Anything the page asks of another origin fails the test: the bundle is self-contained.
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith((localConsole as LocalConsole).url)) foreign.push(request.url());
    });
    await page.goto((localConsole as LocalConsole).url);
    await page.getByTestId('funnel-marketing').waitFor();

    // Profiles written: each destination's counters and records appear.
    await writeTo(stack as LocalStack, [
      profile('p-john', SEG.john, 'Doe'),
      profile('p-marty', SEG.delorean, 'McFly'),
    ]);
    await expectText(page, 'funnel-marketing-delivered', '1');
    await expectText(page, 'funnel-analytics-delivered', '1');
    await recordRow(page, 'marketing', 'p-john').waitFor();
    await recordRow(page, 'analytics', 'p-marty').waitFor();
    await expect(recordRow(page, 'marketing', 'p-john').textContent()).resolves.toContain(
      'segment-membership',
    );
    await expectText(page, 'funnel-marketing-exported', '1');

    // A record's document, on click, from the server's memory.
    await recordRow(page, 'marketing', 'p-john').click();
    await page.getByTestId('record-document').filter({ hasText: '"lastName": "Doe"' }).waitFor();
    await screenshot(page, '1-records');

    // The stream fails: the export is dead-lettered after its attempts and listed with its failure.
    proxy?.setFault({ kind: 'http-error', status: 503 });
    await writeTo(stack as LocalStack, [profile('p-john', SEG.john, 'Doe-Brown')]);
    const deadLetter = page.locator('[data-testid=dlq-row][data-profile="p-john"]');
    await deadLetter.waitFor({ timeout: SLOW });
    await expectText(page, 'dlq-depth', '1');
    await expectText(page, 'funnel-marketing-deadLettered', '1');
    const row = (await deadLetter.textContent()) ?? '';
    expect(row).toContain('marketing');
    expect(row).toContain('function');
    expect(row).not.toContain('Doe-Brown');
    await screenshot(page, '2-dead-lettered');

    // The stream is back; redrive from the page: the confirm dialog names the count, and is accepted.
    proxy?.setFault({ kind: 'none' });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('redrive-destination').selectOption('marketing');
    await page.getByTestId('redrive-button').click();
    await page.getByTestId('redrive-result').filter({ hasText: '1 of 1 moved' }).waitFor({ timeout: SLOW });
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toContain('Redrive 1 dead-lettered export(s) of marketing');
    await expectText(page, 'funnel-marketing-delivered', '2');
    await expectText(page, 'funnel-marketing-redriven', '1');
    await expectText(page, 'dlq-depth', '0');
    await page.getByTestId('dlq').filter({ hasText: 'no dead-lettered export' }).waitFor();
    await expect(recordRow(page, 'marketing', 'p-john').count()).resolves.toBe(2);
    await screenshot(page, '3-redriven');

    // The evaluate form: the server's decision, reasons and payload for each destination.
    await page.getByTestId('evaluate-new').fill(JSON.stringify(profile('p-new', SEG.delorean, 'Tannen')));
    await page.getByTestId('evaluate-submit').click();
    const analytics = page.getByTestId('decision-analytics');
    await analytics.waitFor();
    expect(await analytics.textContent()).toContain('"lastName": "Tannen"');
    expect(await page.getByTestId('decision-marketing').textContent()).toContain('no export');
    await page.getByTestId('evaluate-old').fill('{ not json');
    await page.getByTestId('evaluate-submit').click();
    await page.getByTestId('evaluate-error').filter({ hasText: 'old image' }).waitFor();
    await page.getByTestId('evaluate-old').fill('');
    await page.getByTestId('evaluate-submit').click();
    await page.getByTestId('evaluate-result').waitFor();
    await screenshot(page, '4-evaluate');

    expect(pageErrors).toEqual([]);
    expect(foreign).toEqual([]);
    // The console logs counts and ids, never a document.
    expect(logged.join('\n')).not.toMatch(/Doe|McFly|Tannen|example\.com/);
    expect(logged).toContain('console: redrive of marketing completed: 1 of 1 moved, 0 failed');
    // One scenario of waits on three export attempts, a listing and a redrive: four minutes on a busy machine.
  }, 240_000);
});
