/** The console page: polls the server's overview and lays out the four panels. */
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleOverview } from '../api-types.js';
import { getJson } from './api.js';
import { DeadLetterPanel } from './dlq-panel.js';
import { EvaluatePanel } from './evaluate-panel.js';
import { clock } from './format.js';
import { FunnelPanel } from './funnel-panel.js';
import { html } from './html.js';
import { RecordsPanel } from './records-panel.js';

/** How often the page asks for the overview. */
const POLL_MS = 1000;

/** Polls `/api/overview` every second (the next poll starts when the last one ended). */
function useOverview(): { overview: ConsoleOverview | undefined; problem: string | undefined } {
  const [overview, setOverview] = useState<ConsoleOverview | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    let timer: number | undefined;
    let stopped = false;
    const poll = async () => {
      try {
        setOverview(await getJson<ConsoleOverview>('/api/overview'));
        setProblem(undefined);
      } catch (error) {
        setProblem((error as Error).message);
      }
      if (!stopped) timer = window.setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return { overview, problem };
}

/** The whole page. */
export function App() {
  const { overview, problem } = useOverview();
  const destinations = overview?.feeds.map((f) => f.id) ?? [];
  return html`<div class="page">
    <header class="top">
      <h1>kinesis-destination <span>local console</span></h1>
      <span class=${problem === undefined ? 'status live' : 'status down'} data-testid="status">
        ${problem === undefined ? (overview === undefined ? 'connecting…' : `live · ${clock(overview.now)}`) : `not connected: ${problem}`}
      </span>
    </header>
    ${
      overview === undefined
        ? html`<p class="empty">waiting for the local stack…</p>`
        : html`<main>
            <${FunnelPanel} overview=${overview} />
            <${RecordsPanel} feeds=${overview.feeds} />
            <${DeadLetterPanel} dlq=${overview.dlq} destinations=${destinations} />
            <${EvaluatePanel} />
          </main>`
    }
  </div>`;
}
