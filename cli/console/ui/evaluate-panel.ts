/** The evaluate form: old and new image → each destination's decision, reasons and payload (the `evaluate` command's core, on the server). */
import { useState } from 'preact/hooks';
import type { EvaluateResponse } from '../api-types.js';
import { postJson } from './api.js';
import { html } from './html.js';

const NEW_PLACEHOLDER = `{
  "profileId": "p-1",
  "person": { "name": { "lastName": "Doe" } },
  "segmentMembership": { "ups": { "<segment id>": { "status": "realized", "lastQualificationTime": "2024-01-01T00:00:00Z" } } }
}`;

/** The evaluate panel. */
export function EvaluatePanel() {
  const [oldImage, setOld] = useState('');
  const [newImage, setNew] = useState('');
  const [result, setResult] = useState<EvaluateResponse | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setResult(await postJson<EvaluateResponse>('/api/evaluate', { oldImage, newImage }));
    } catch (e) {
      setResult(undefined);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="panel evaluate" data-testid="evaluate">
    <header><h2>Evaluate a change</h2><span class="hint">would this write be exported, why, and with which payload?</span></header>
    <form onSubmit=${submit}>
      <div class="images">
        <label>old image <span class="hint">(empty for an insert)</span>
          <textarea data-testid="evaluate-old" spellcheck="false" value=${oldImage} onInput=${(e: Event) => setOld((e.target as HTMLTextAreaElement).value)}></textarea>
        </label>
        <label>new image <span class="hint">(empty for a delete)</span>
          <textarea data-testid="evaluate-new" spellcheck="false" placeholder=${NEW_PLACEHOLDER} value=${newImage} onInput=${(e: Event) => setNew((e.target as HTMLTextAreaElement).value)}></textarea>
        </label>
      </div>
      <button type="submit" disabled=${busy} data-testid="evaluate-submit">Evaluate</button>
    </form>
    ${error !== undefined && html`<pre class="problem" data-testid="evaluate-error">${error}</pre>`}
    ${
      result !== undefined &&
      html`<div class="decisions" data-testid="evaluate-result">
        ${result.destinations.map(
          (d) => html`<div key=${d.id} class="decision" data-testid=${`decision-${d.id}`}>
            <h3>${d.id} <span class=${d.export ? 'badge good' : 'badge'}>${d.export ? 'export' : 'no export'}</span></h3>
            <ul>${d.reasons.map((r) => html`<li key=${r}>${r}</li>`)}</ul>
            ${d.rejection !== undefined && html`<p class="problem">${d.rejection.code}: ${d.rejection.message}</p>`}
            ${d.payloadText !== null && html`<pre>${d.payloadText}</pre>`}
          </div>`,
        )}
      </div>`
    }
  </section>`;
}
