/** Preact's `h` as tagged templates (htm): components without a JSX build step. */
import htm from 'htm';
import { h } from 'preact';

/** `html\`<div class=${x}>…</div>\`` renders a Preact element. */
export const html = htm.bind(h);
