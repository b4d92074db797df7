/** A column of a plain-text table: numbers align right. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longest cell shown; longer values are cut with an ellipsis (fixed-width output). */
  maxWidth?: number;
}

function fit(text: string, maxWidth: number | undefined): string {
  if (maxWidth === undefined || text.length <= maxWidth) return text;
  return `${text.slice(0, Math.max(0, maxWidth - 1))}…`;
}

function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/** Rows aligned under their headers, two spaces between columns, no trailing spaces. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map((cell, index) => fit(cell, columns[index]?.maxWidth)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => row[index]?.length ?? 0)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, index) => pad(cell, widths[index]!, columns[index]?.align))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join('\n');
}

/** One row at fixed column widths (the columns' maxWidth), for output that streams and cannot be re-aligned. */
export function formatFixedRow(columns: readonly Column[], row: readonly string[]): string {
  return row
    .map((cell, index) => {
      const column = columns[index]!;
      const width = Math.max(column.header.length, column.maxWidth ?? cell.length);
      return pad(fit(cell, column.maxWidth), width, column.align);
    })
    .join('  ')
    .trimEnd();
}

export const integer = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : Math.round(value).toLocaleString('en-US'));

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '$0';
  return value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export const milliseconds = (value: number | null | undefined): string => (value === null || value === undefined ? '—' : integer(value));
