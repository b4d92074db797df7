import type { TomlDocument } from '@decimalturn/toml-patch' with { 'resolution-mode': 'import' };
import { ClientConfigError } from './client-config-error';
import type { EditableConfig } from './editable-config';
import { keyName } from './owned-key';

type TomlPatch = typeof import('@decimalturn/toml-patch', { with: { 'resolution-mode': 'import' } });
type Block = TomlDocument['cst'][number];
type KeyValueBlock = Extract<Block, { type: 'KeyValue' }>;
type TableBlock = Extract<Block, { type: 'Table' }>;
interface Position {
  line: number;
  column: number;
}

/**
 * Surgical edits of a TOML config file (Codex's `~/.codex/config.toml`). Parsing and value
 * encoding are `@decimalturn/toml-patch`'s (a TOML 1.0 parser whose syntax tree keeps
 * every token's position); an edit replaces one value's source span, or inserts or removes one
 * whole `key = value` line or an empty `[table]` header, so every other byte stays as it was.
 *
 * Paths are `[...tableKeys, key]`: `['model_provider']` is a top-level key,
 * `['model_providers', 'tokenpak', 'base_url']` a key in the `[model_providers.tokenpak]` table.
 * Keys that exist in another shape (dotted keys, inline tables) are refused with ClientConfigError,
 * never rewritten.
 */
export class TomlConfigText implements EditableConfig {
  private document: TomlDocument;

  private constructor(
    private readonly toml: TomlPatch,
    private text: string,
    private readonly file: string,
  ) {
    this.document = this.parseText(text);
  }

  /** Parses `text` (the contents of `file`); throws ClientConfigError when it is not valid TOML. */
  static async parse(text: string, file: string): Promise<TomlConfigText> {
    // The library is ESM-only; this CLI is CommonJS, so it is loaded with import().
    const toml = await import('@decimalturn/toml-patch');
    return new TomlConfigText(toml, text, file);
  }

  toString(): string {
    return this.text;
  }

  /** The value at `path` (a parsed JS value), or undefined. */
  get(path: readonly string[]): unknown {
    let node: unknown = this.document.toJsObject;
    for (const segment of path) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
    return node;
  }

  /** The exact source text of the value at `path` (keeps the user's quoting for a later restore). */
  raw(path: readonly string[]): string | undefined {
    if (path.length === 0 || this.table(path)) return undefined;
    const found = this.keyValue(path);
    return found ? this.slice(found.value.loc.start, found.value.loc.end) : undefined;
  }

  hasParent(path: readonly string[]): boolean {
    return path.length === 1 || this.table(path.slice(0, -1)) !== undefined;
  }

  /** Sets `path` to `value` (a string or boolean), written as `raw` when given; creates the table when missing. */
  set(path: readonly string[], value: unknown, raw?: string): void {
    if (typeof value !== 'string' && typeof value !== 'boolean') {
      throw new TypeError(`TomlConfigText.set: ${keyName(path)} must be a string or boolean`);
    }
    const encoded = raw ?? this.encode(value);
    const found = this.keyValue(path);
    if (found) {
      this.splice(this.offset(found.value.loc.start), this.offset(found.value.loc.end), encoded);
      return;
    }
    const tablePath = path.slice(0, -1);
    const line = `${this.encodeKey(path.at(-1)!)} = ${encoded}`;
    if (tablePath.length === 0) {
      const lastRootKey = this.document.cst.filter((block): block is KeyValueBlock => block.type === 'KeyValue').at(-1);
      this.insertLineAfter(lastRootKey ? lastRootKey.loc.end.line : 0, line);
      return;
    }
    const table = this.table(tablePath);
    if (table) {
      const lastKey = table.items.filter((item): item is KeyValueBlock => item.type === 'KeyValue').at(-1);
      this.insertLineAfter(lastKey ? lastKey.loc.end.line : table.key.loc.end.line, line);
      return;
    }
    if (this.get(tablePath) !== undefined) throw this.otherShape(tablePath);
    this.appendTable(tablePath, line);
  }

  /** Removes the line holding `path` (no-op when absent). */
  remove(path: readonly string[]): void {
    const found = this.keyValue(path);
    if (found) this.removeLines(found.loc.start.line, found.loc.end.line);
  }

  /** Removes `[table]` when nothing but its header is left (what `set` created, once emptied again). */
  removeParentIfEmpty(tablePath: readonly string[]): void {
    const table = this.table(tablePath);
    if (!table || table.items.length > 0) return;
    this.removeLines(table.loc.start.line, table.loc.end.line, true);
  }

  private parseText(text: string, afterEdit = false): TomlDocument {
    try {
      const document = this.toml.parseDocument(text);
      // Table redefinitions and the like surface only when the values are built.
      void document.toJsObject;
      return document;
    } catch (error) {
      // toml-patch: "Error parsing TOML (line, column):\n<source line>\n^\n<reason>".
      const message = (error as Error).message;
      const where = /\((\d+), (\d+)\)/.exec(message.split('\n')[0] ?? '');
      const reason = `${
        message
          .split('\n')
          .filter((line) => line.trim() !== '')
          .at(-1) ?? message
      }${where ? ` at line ${where[1]}, column ${where[2]}` : ''}`;
      throw new ClientConfigError(
        afterEdit ? `${this.file}: the edit would not be valid TOML (${reason}); left unchanged` : `${this.file} is not valid TOML (${reason}); left unchanged`,
      );
    }
  }

  private keyValue(path: readonly string[]): KeyValueBlock | undefined {
    const tablePath = path.slice(0, -1);
    const key = path.slice(-1);
    const blocks = tablePath.length === 0 ? this.document.cst : this.table(tablePath)?.items;
    const found = blocks?.find((block): block is KeyValueBlock => block.type === 'KeyValue' && sameKey(block.key.value, key));
    if (!found && this.get(path) !== undefined) throw this.otherShape(path);
    return found;
  }

  private otherShape(path: readonly string[]): ClientConfigError {
    return new ClientConfigError(
      `${this.file} defines ${keyName(path)} in a form tokenpak integrate does not edit (dotted keys or an inline table); ` +
        `write it as a [${keyName(path.length > 1 ? path.slice(0, -1) : path)}] table, or remove it; left unchanged`,
    );
  }

  private table(tablePath: readonly string[]): TableBlock | undefined {
    return this.document.cst.find((block): block is TableBlock => block.type === 'Table' && sameKey(block.key.item.value, tablePath));
  }

  private encode(value: string | boolean): string {
    const line = this.toml.stringify({ v: value }).trim();
    return line.slice(line.indexOf('=') + 1).trim();
  }

  private encodeKey(key: string): string {
    return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  }

  /** Inserts `line` as a whole line after line `after` (1-based; 0 = at the top). */
  private insertLineAfter(after: number, line: string): void {
    const starts = lineStarts(this.text);
    if (after === 0) return this.splice(0, 0, `${line}\n`);
    const next = starts[after];
    if (next !== undefined) return this.splice(next, next, `${line}\n`);
    // `after` is the last line and has no newline: add one in front (removeLines takes it back).
    this.splice(this.text.length, this.text.length, `\n${line}`);
  }

  /** Appends `[table]` with its first line at the end, one blank line after the existing text. */
  private appendTable(tablePath: readonly string[], line: string): void {
    const header = `[${tablePath.map((key) => this.encodeKey(key)).join('.')}]`;
    // A file without a final newline keeps ending without one, so removeLines can undo this exactly.
    const block = this.text === '' || this.text.endsWith('\n') ? `${this.text === '' ? '' : '\n'}${header}\n${line}\n` : `\n\n${header}\n${line}`;
    this.splice(this.text.length, this.text.length, block);
  }

  /**
   * Removes lines `first`..`last` (1-based) with their line break. A block at the very end also
   * takes back the separator `insertLineAfter` / `appendTable` put in front of it.
   */
  private removeLines(first: number, last: number, tableHeader = false): void {
    const starts = lineStarts(this.text);
    let start = starts[first - 1]!;
    const end = starts[last] ?? this.text.length;
    const atEnd = end === this.text.length;
    const endsWithBreak = this.text.slice(start, end).endsWith('\n');
    if (atEnd && !endsWithBreak && start > 0) start -= 1;
    if (tableHeader && atEnd) {
      const before = this.text.slice(0, start);
      if (endsWithBreak ? before.endsWith('\n\n') : before.endsWith('\n')) start -= 1;
    }
    this.splice(start, end, '');
  }

  private splice(start: number, end: number, insert: string): void {
    const next = this.text.slice(0, start) + insert + this.text.slice(end);
    this.document = this.parseText(next, true);
    this.text = next;
  }

  private slice(from: Position, to: Position): string {
    return this.text.slice(this.offset(from), this.offset(to));
  }

  /** The syntax tree's positions are 1-based lines and 0-based UTF-16 columns. */
  private offset(position: Position): number {
    return lineStarts(this.text)[position.line - 1]! + position.column;
  }
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}
