/**
 * A unified diff of two small texts (config files: hundreds of lines at most), for
 * `integrate --dry-run`. Longest-common-subsequence over lines, hunks with `context` lines around.
 */
export function unifiedDiff(before: string, after: string, label: string, context = 2): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  type Op = { kind: ' ' | '-' | '+'; line: string; aLine: number; bLine: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i++]!, aLine: i, bLine: ++j });
    else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i++]!, aLine: i, bLine: j });
    else ops.push({ kind: '+', line: b[j++]!, aLine: i, bLine: j });
  }
  const out = [`--- ${label}`, `+++ ${label} (after)`];
  let index = 0;
  while (index < ops.length) {
    if (ops[index]!.kind === ' ') {
      index++;
      continue;
    }
    const start = Math.max(0, index - context);
    let end = index;
    while (end < ops.length && (ops[end]!.kind !== ' ' || ops.slice(end, end + 2 * context + 1).some((op) => op.kind !== ' '))) end++;
    end = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, end);
    const aStart = hunk.find((op) => op.kind !== '+')?.aLine ?? hunk[0]!.aLine;
    const bStart = hunk.find((op) => op.kind !== '-')?.bLine ?? hunk[0]!.bLine;
    out.push(`@@ -${aStart},${hunk.filter((op) => op.kind !== '+').length} +${bStart},${hunk.filter((op) => op.kind !== '-').length} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    index = end;
  }
  return `${out.join('\n')}\n`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
