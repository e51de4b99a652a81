/** The dead-letter queue with each export's failure, and a redrive button behind a confirm dialog. */
import { useState } from 'preact/hooks';
import type { DeadLetterQueueView, RedriveResponse } from '../api-types.js';
import { postJson } from './api.js';
import { html } from './html.js';

function describe(result: RedriveResponse): string {
  if (result.status === 'EMPTY') return 'nothing to redrive: the dead-letter queue is empty';
  const failed = result.failed > 0 ? `, ${result.failed} not moved (still in the dead-letter queue)` : '';
  return `redrive ${result.status.toLowerCase()}: ${result.moved} of ${result.toMove} moved back to the export queue${failed}`;
}

/** The dead-letter queue panel. */
export function DeadLetterPanel(props: { dlq: DeadLetterQueueView; destinations: readonly string[] }) {
  const { dlq } = props;
  const [destination, setDestination] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; bad: boolean } | undefined>(undefined);

  const redrive = async () => {
    setBusy(true);
    setMessage(undefined);
    const target = destination === '' ? {} : { destination };
    try {
      const dry = await postJson<RedriveResponse>('/api/dlq/redrive', { ...target, dryRun: true });
      if (dry.toMove === 0) {
        setMessage({ text: 'nothing to redrive', bad: false });
        return;
      }
      const which = destination === '' ? 'every destination' : destination;
      const how =
        dry.mechanism === 'selective'
          ? 'moved one by one, in each profile’s order'
          : 'moved by SQS’s own redrive, in each profile’s order';
      const ok = window.confirm(
        `Redrive ${dry.toMove} dead-lettered export(s) of ${which} back to the export queue (${how})?\n\nAn export older than what was delivered since is skipped, not written over newer data.`,
      );
      if (!ok) {
        setMessage({ text: 'redrive cancelled', bad: false });
        return;
      }
      const result = await postJson<RedriveResponse>('/api/dlq/redrive', { ...target, dryRun: false });
      setMessage({ text: describe(result), bad: result.failed > 0 });
    } catch (error) {
      setMessage({ text: (error as Error).message, bad: true });
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="panel dlq" data-testid="dlq">
    <header>
      <h2>Dead-letter queue <span class=${dlq.depth > 0 ? 'badge bad' : 'badge'} data-testid="dlq-depth">${dlq.depth}</span></h2>
      <div class="actions">
        <select value=${destination} onChange=${(e: Event) => setDestination((e.target as HTMLSelectElement).value)} data-testid="redrive-destination">
          <option value="">all destinations</option>
          ${props.destinations.map((id) => html`<option key=${id} value=${id}>${id}</option>`)}
        </select>
        <button onClick=${redrive} disabled=${busy || dlq.depth === 0} data-testid="redrive-button">${busy ? 'redriving…' : 'Redrive'}</button>
      </div>
    </header>
    ${message !== undefined && html`<p class=${message.bad ? 'problem' : 'note'} data-testid="redrive-result">${message.text}</p>`}
    ${dlq.problem !== undefined && html`<p class="problem">${dlq.problem}</p>`}
    ${
      dlq.rows.length === 0
        ? html`<p class="empty">no dead-lettered export</p>`
        : html`<table class="rows">
            <thead><tr><th>destination</th><th>profile</th><th>reasons</th><th>error</th><th>attempts</th><th>last failure</th><th>moved by</th></tr></thead>
            <tbody>
              ${dlq.rows.map(
                (r) => html`<tr key=${r.messageId} data-testid="dlq-row" data-profile=${r.profileId ?? ''}>
                  <td>${r.destinationId ?? '—'}</td>
                  <td class="mono">${r.profileId ?? '—'}</td>
                  <td>${r.reasons.join(', ') || '—'}</td>
                  <td><span class="code">${r.errorCode}</span> <span class="detail">${r.errorMessage}</span></td>
                  <td>${r.attempts ?? '—'}</td>
                  <td class="mono">${r.lastFailureAt === undefined ? '—' : new Date(r.lastFailureAt).toLocaleTimeString()}</td>
                  <td>${r.movedBy}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${dlq.truncated && html`<p class="hint">showing the first ${dlq.rows.length} of about ${dlq.depth}</p>`}
  </section>`;
}
