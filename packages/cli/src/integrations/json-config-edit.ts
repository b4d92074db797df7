import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { ClientConfigError } from './client-config-error';
import type { EditableConfig } from './editable-config';

/**
 * Surgical edits of a JSON (or JSONC: comments, trailing commas) config file through
 * `jsonc-parser`: each edit touches one property and keeps every other byte, comment and
 * the file's own indentation.
 */
export class JsonConfigText implements EditableConfig {
  private constructor(
    private text: string,
    private readonly formatting: FormattingOptions,
  ) {}

  /** Parses `text` (the contents of `file`); throws ClientConfigError when it is not a JSON object. */
  static parse(text: string, file: string): JsonConfigText {
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    const first = errors[0];
    if (first) {
      const { line, column } = lineAndColumn(text, first.offset);
      throw new ClientConfigError(`${file} is not valid JSON (${printParseErrorCode(first.error)} at line ${line}, column ${column}); left unchanged`);
    }
    if (!root || root.type !== 'object') throw new ClientConfigError(`${file} does not hold a JSON object; left unchanged`);
    return new JsonConfigText(text, detectFormatting(text));
  }

  toString(): string {
    return this.text;
  }

  has(path: readonly string[]): boolean {
    return this.node(path) !== undefined;
  }

  get(path: readonly string[]): unknown {
    const node = this.node(path);
    return node === undefined ? undefined : (getNodeValue(node) as unknown);
  }

  /**
   * Sets `path` to `value` (creating missing parents), or removes it when `value` is undefined.
   * With `raw`, an existing value's source text is replaced by `raw` verbatim.
   */
  set(path: readonly string[], value: unknown, raw?: string): void {
    const node = raw === undefined ? undefined : this.node(path);
    if (node && raw !== undefined) {
      this.text = this.text.slice(0, node.offset) + raw + this.text.slice(node.offset + node.length);
      return;
    }
    if (value === undefined && !this.has(path)) return;
    const edits = modify(this.text, [...path], value, { formattingOptions: this.formatting });
    this.text = applyEdits(this.text, edits);
  }

  /** The exact source text of the value at `path`. */
  raw(path: readonly string[]): string | undefined {
    const node = this.node(path);
    return node ? this.text.slice(node.offset, node.offset + node.length) : undefined;
  }

  remove(path: readonly string[]): void {
    this.set(path, undefined);
  }

  hasParent(path: readonly string[]): boolean {
    const parent = this.get(path.slice(0, -1));
    return parent !== null && typeof parent === 'object' && !Array.isArray(parent);
  }

  removeParentIfEmpty(parent: readonly string[]): void {
    const value = this.get(parent);
    if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) this.set(parent, undefined);
  }

  private node(path: readonly string[]) {
    const root = parseTree(this.text, [], { allowTrailingComma: true });
    return root ? findNodeAtLocation(root, [...path]) : undefined;
  }
}

/** The file's own indentation and line ending, so inserted properties look like their neighbours. */
function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)["}\]]/m.exec(text)?.[1] ?? '  ';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: indent.length, eol };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
