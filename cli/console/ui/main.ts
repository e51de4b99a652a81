/** The console page's entry (bundled by scripts/build-console.ts into dist/console/app.js and app.css). */
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
