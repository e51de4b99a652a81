/** The records arriving in each destination stream; a click shows one record's document. */
import { useState } from 'preact/hooks';
import type { DestinationFeed, RecordDocument } from '../api-types.js';
import { getJson } from './api.js';
import { clock } from './format.js';
import { html } from './html.js';

interface Selected {
  readonly destination: string;
  readonly seq: number;
  readonly document?: RecordDocument;
  readonly error?: string;
}

function Feed(props: { feed: DestinationFeed; selected: Selected | undefined; pick: (seq: number) => void }) {
  const { feed, selected } = props;
  return html`<div class="feed" data-testid=${`records-${feed.id}`}>
    <h3>${feed.id} <span class="hint">${feed.streamName} · ${feed.total} record(s)</span></h3>
    ${feed.problem !== undefined && html`<p class="problem">${feed.problem}</p>`}
    ${
      feed.records.length === 0
        ? html`<p class="empty">no record yet</p>`
        : html`<table class="rows">
            <thead><tr><th>time</th><th>profile</th><th>reason</th></tr></thead>
            <tbody>
              ${feed.records.map(
                (r) => html`<tr
                  key=${r.seq}
                  class=${selected?.destination === feed.id && selected.seq === r.seq ? 'clickable selected' : 'clickable'}
                  data-testid="record-row"
                  data-profile=${r.profileId}
                  onClick=${() => props.pick(r.seq)}
                >
                  <td class="mono">${clock(r.seenAt)}</td>
                  <td class="mono">${r.profileId}</td>
                  <td>${r.reasons.length === 0 ? '—' : r.reasons.join(', ')}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
    }
  </div>`;
}

/** The records panel. */
export function RecordsPanel(props: { feeds: readonly DestinationFeed[] }) {
  const [selected, setSelected] = useState<Selected | undefined>(undefined);

  const pick = (destination: string, seq: number) => {
    setSelected({ destination, seq });
    getJson<RecordDocument>(`/api/records/${encodeURIComponent(destination)}/${seq}`).then(
      (document) => setSelected({ destination, seq, document }),
      (error: Error) => setSelected({ destination, seq, error: error.message }),
    );
  };

  return html`<section class="panel records" data-testid="records">
    <header>
      <h2>Records in the destination streams</h2>
      <span class="hint">newest first · click a record to see its document</span>
    </header>
    <div class="feeds">
      ${props.feeds.map(
        (f) =>
          html`<${Feed} key=${f.id} feed=${f} selected=${selected} pick=${(seq: number) => pick(f.id, seq)} />`,
      )}
    </div>
    ${
      selected !== undefined &&
      html`<div class="document" data-testid="record-document">
        <header>
          <h3>${selected.destination} · record ${selected.seq}${selected.document && ` · ${selected.document.profileId}`}</h3>
          <button class="quiet" onClick=${() => setSelected(undefined)}>close</button>
        </header>
        ${selected.error !== undefined && html`<p class="problem">${selected.error}</p>`}
        <pre>${selected.document?.documentText ?? (selected.error === undefined ? 'loading…' : '')}</pre>
      </div>`
    }
  </section>`;
}
