/** Aligned text tables for the CLI's human output (`dlq list`, `validate`). */

/** The width of each column over the header and every row, and a renderer of one line. */
export interface TextColumns {
  readonly widths: readonly number[];
  /** Pads every cell but the last to its column's width, two spaces apart; no trailing space. */
  render(cells: readonly string[]): string;
}

export function textColumns(header: readonly string[], rows: readonly (readonly string[])[]): TextColumns {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return {
    widths,
    render: (cells) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
  };
}
