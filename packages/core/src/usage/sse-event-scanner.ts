import type { JsonFieldScanner } from './json-field-scanner';
import type { SseEventNames } from './sse-event-names';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** Longest field name worth reading (`event`, `data`, `id`, `retry`). */
const MAX_FIELD_NAME_BYTES = 8;

/** Longest event name kept. */
const MAX_EVENT_NAME_BYTES = 128;

/** Decides, per event, whether its data is read, and receives what was read. */
export interface SseEventHandler {
  /** At an event's first data line: a scanner for its data, or null to skip it. `name` is null when no `event:` line came first. */
  scannerFor(name: string | null): JsonFieldScanner | null;
  /** At the blank line that ends an event whose data was scanned. */
  eventEnded(name: string | null, scanner: JsonFieldScanner): void;
}

type LineState = 'field' | 'data' | 'event' | 'skip';

/**
 * Reads a `text/event-stream` as it passes, line by line across chunk boundaries, and
 * streams the data of the events the handler asks for into a `JsonFieldScanner`. No line
 * and no event is ever buffered whole: field names and event names are a few bytes, data
 * goes straight to the scanner. Lines end in LF or CRLF (a CR left in data is JSON
 * whitespace; lone-CR line endings, which no LLM API sends, are not recognised).
 */
export class SseEventScanner {
  private state: LineState = 'field';
  private fieldName = '';
  private eventName: string | null = null;
  private eventNameBytes: Buffer[] = [];
  private eventNameLength = 0;
  private scanner: JsonFieldScanner | null = null;
  /** The current event already had a data line (a second one is joined with LF). */
  private sawData = false;
  /** The current event's data is not wanted. */
  private dataSkipped = false;
  /** The first byte after `data:` may be one space to drop. */
  private atValueStart = false;

  /** `names`: the event names the handler expects, read without decoding (see `SseEventNames`). */
  constructor(
    private readonly handler: SseEventHandler,
    private readonly names: SseEventNames,
  ) {}

  push(chunk: Buffer): void {
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.state === 'field' && this.fieldName === '') {
        // Fast path: a whole line in this chunk, read without building strings byte by byte.
        const newline = chunk.indexOf(LF, i);
        if (newline !== -1) {
          const next = this.wholeLine(chunk, i, newline);
          if (next !== -1) {
            i = next;
            continue;
          }
        }
      }
      if (this.state === 'field') {
        const byte = chunk[i]!;
        if (byte === LF) {
          if (this.fieldName === '') this.dispatch();
          else this.endFieldOnlyLine();
          i++;
          continue;
        }
        if (byte === CR) {
          i++;
          continue;
        }
        if (byte === COLON) {
          this.startValue();
          i++;
          continue;
        }
        if (this.fieldName.length >= MAX_FIELD_NAME_BYTES) this.state = 'skip';
        else this.fieldName += String.fromCharCode(byte);
        i++;
        continue;
      }

      if (this.atValueStart) {
        this.atValueStart = false;
        if (chunk[i] === SPACE) {
          i++;
          continue;
        }
      }
      const newline = chunk.indexOf(LF, i);
      const lineEnd = newline === -1 ? end : newline;
      if (this.state === 'data' && this.scanner !== null && lineEnd > i) this.scanner.push(chunk.subarray(i, lineEnd));
      else if (this.state === 'event') this.appendEventName(chunk, i, lineEnd);
      if (newline === -1) return;
      this.endLine();
      i = newline + 1;
    }
  }

  /**
   * Handles the line `chunk[start, newline)` when it is a blank line, a comment, an
   * `event:` or a `data:` line; returns where the next line starts, or -1 to leave the
   * line to the byte-by-byte path (other fields).
   */
  private wholeLine(chunk: Buffer, start: number, newline: number): number {
    const lineEnd = newline > start && chunk[newline - 1] === CR ? newline - 1 : newline;
    if (lineEnd === start) {
      this.dispatch();
      return newline + 1;
    }
    const first = chunk[start];
    if (first === COLON) return newline + 1;
    if (first === D && hasPrefix(chunk, start, lineEnd, DATA_FIELD)) {
      const valueStart = start + DATA_FIELD.length + (chunk[start + DATA_FIELD.length] === SPACE ? 1 : 0);
      const firstLine = !this.sawData;
      this.state = 'data';
      this.beginDataLine();
      if (this.state === 'data' && this.scanner !== null && lineEnd > valueStart) {
        // The event's first data line, whole: almost always its entire JSON document.
        if (firstLine) this.scanner.readWhole(chunk.subarray(valueStart, lineEnd));
        else this.scanner.push(chunk.subarray(valueStart, lineEnd));
      }
      this.state = 'field';
      return newline + 1;
    }
    if (first === E && hasPrefix(chunk, start, lineEnd, EVENT_FIELD)) {
      const valueStart = start + EVENT_FIELD.length + (chunk[start + EVENT_FIELD.length] === SPACE ? 1 : 0);
      this.eventName = this.names.nameAt(chunk, valueStart, Math.min(lineEnd, valueStart + MAX_EVENT_NAME_BYTES));
      return newline + 1;
    }
    return -1;
  }

  /** The stream ended: an event left without its blank line is still delivered. */
  end(): void {
    if (this.state === 'event') this.endLine();
    this.dispatch();
  }

  private startValue(): void {
    const name = this.fieldName;
    this.atValueStart = true;
    if (name === '') {
      this.state = 'skip'; // a comment line
    } else if (name === 'data') {
      this.state = 'data';
      this.beginDataLine();
    } else if (name === 'event') {
      this.state = 'event';
      this.eventNameBytes = [];
      this.eventNameLength = 0;
    } else {
      this.state = 'skip';
    }
  }

  private beginDataLine(): void {
    if (this.dataSkipped) {
      this.state = 'skip';
      return;
    }
    if (!this.sawData) {
      this.sawData = true;
      this.scanner = this.handler.scannerFor(this.eventName);
      if (this.scanner === null) {
        this.dataSkipped = true;
        this.state = 'skip';
      }
      return;
    }
    this.scanner?.push(NEWLINE);
  }

  /** `data` with no colon is a data line with an empty value (WHATWG SSE). */
  private endFieldOnlyLine(): void {
    if (this.fieldName.replace(/\r$/, '') === 'data') {
      this.state = 'data';
      this.beginDataLine();
    }
    this.endLine();
  }

  private appendEventName(chunk: Buffer, from: number, to: number): void {
    const room = MAX_EVENT_NAME_BYTES - this.eventNameLength;
    if (room <= 0 || to <= from) return;
    const slice = chunk.subarray(from, Math.min(to, from + room));
    this.eventNameBytes.push(Buffer.from(slice));
    this.eventNameLength += slice.length;
  }

  private endLine(): void {
    if (this.state === 'event') {
      const name = Buffer.concat(this.eventNameBytes);
      this.eventName = this.names.nameAt(name, 0, name.length > 0 && name[name.length - 1] === CR ? name.length - 1 : name.length);
      this.eventNameBytes = [];
    }
    this.state = 'field';
    this.fieldName = '';
    this.atValueStart = false;
  }

  private dispatch(): void {
    if (this.scanner !== null) this.handler.eventEnded(this.eventName, this.scanner);
    this.scanner = null;
    this.eventName = null;
    this.sawData = false;
    this.dataSkipped = false;
    this.state = 'field';
    this.fieldName = '';
  }
}

const NEWLINE = Buffer.from('\n');
const DATA_FIELD = Buffer.from('data:');
const EVENT_FIELD = Buffer.from('event:');
const D = 0x64;
const E = 0x65;

function hasPrefix(chunk: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let k = 1; k < prefix.length; k++) if (chunk[start + k] !== prefix[k]) return false;
  return true;
}
