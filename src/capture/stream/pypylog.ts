/**
 * `record --stream --pypylog` on PyPy: follows the PYPYLOG file while PyPy writes it
 * (`[ts] {name` … `[ts] name}` sections, parsed a line at a time by the PyPy log reader)
 * and turns each section that has closed into a marker on the wall clock, for the next
 * chunk. PYPYLOG's timestamps are PyPy's debug tick counter: the agent appends the pair
 * (tick, Unix ms) read together to a clock file at the start, once an interval and at the
 * stop (--tick-clock), and a tick becomes ms on the line through the first and the latest
 * pair (the same clock `record` writes into the profile as META pypylog_clock). Sections
 * wait while fewer than two pairs are there. PyPy buffers its log, so sections arrive in
 * bursts, some after the interval they ended in: each goes out with the next chunk, at its
 * own time (the store keys markers by their time, not by the chunk's).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MARKER_NAME, MAX_CHUNK_MARKERS, type StreamMarker } from '../../formats/stream-chunk.js';
import { markerCategory, PypyLogParser, type PypyLogSection } from '../../formats/pypylog/index.js';

/** Bytes read from a file per poll at most: a poll stays short; the rest waits for the next. */
const READ_LIMIT = 8 << 20;
/** Sections waiting for the clock at most (the oldest are dropped beyond, counted). */
const MAX_WAITING = 4 * MAX_CHUNK_MARKERS;

/** Reads what was appended to a file since the last call, in whole lines. */
class LineTail {
  private offset = 0;
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly path: string) {}

  /** The complete lines appended since the last call ([] while the file does not exist). */
  lines(final: boolean): string[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return [];
    }
    let text = '';
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(READ_LIMIT, Math.max(0, size - this.offset)));
      const n = buffer.length > 0 ? readSync(fd, buffer, 0, buffer.length, this.offset) : 0;
      this.offset += n;
      text = this.decoder.decode(buffer.subarray(0, n), { stream: !final });
    } finally {
      closeSync(fd);
    }
    const lines = (this.partial + text).split('\n');
    this.partial = final ? '' : lines.pop()!;
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
}

export class PypyLogFollower {
  private readonly log: LineTail;
  private readonly clockFile: LineTail;
  private waiting: PypyLogSection[] = [];
  private readonly parser = new PypyLogParser((s) => this.waiting.push(s), false);
  private first: [number, number] | null = null;
  private latest: [number, number] | null = null;
  /** Sections dropped: beyond MAX_WAITING, or named so that a chunk would refuse them. */
  dropped = 0;
  /** Why the log stopped being followed (not a PyPy log); the profile stream goes on. */
  error = '';

  constructor(logPath: string, clockPath: string) {
    this.log = new LineTail(logPath);
    this.clockFile = new LineTail(clockPath);
  }

  /** Reads what both files gained. */
  poll(final = false): void {
    for (const line of this.clockFile.lines(final)) {
      const [tick, ms] = line.trim().split(/\s+/).map(Number);
      if (!Number.isFinite(tick) || !Number.isFinite(ms) || ms <= 0) continue;
      if (!this.first) this.first = [tick, ms];
      else if (tick > this.first[0] && ms > this.first[1]) this.latest = [tick, ms];
    }
    if (this.error) return;
    try {
      for (const line of this.log.lines(final)) this.parser.line(line);
      if (final) this.parser.end();
    } catch (err) {
      this.error = `the PYPYLOG file is not a PyPy log (${(err as Error).message}): its phases are not streamed`;
    }
    if (this.waiting.length > MAX_WAITING) {
      this.dropped += this.waiting.length - MAX_WAITING;
      this.waiting = this.waiting.slice(-MAX_WAITING);
    }
  }

  /** The closed sections that can be placed on the wall clock (at most a chunk's worth), as markers; they are not returned again. */
  take(): StreamMarker[] {
    if (!this.first || !this.latest || this.waiting.length === 0) return [];
    const [tick0, ms0] = this.first;
    const ticksPerMs = (this.latest[0] - tick0) / (this.latest[1] - ms0);
    const toMs = (tick: number) => ms0 + (tick - tick0) / ticksPerMs;
    const sections = this.waiting.splice(0, MAX_CHUNK_MARKERS);
    const markers: StreamMarker[] = [];
    for (const s of sections) {
      const start = toMs(s.startTick);
      const end = toMs(s.endTick);
      if (!MARKER_NAME.test(s.category) || !(start > 0) || !(end >= start)) {
        this.dropped++;
        continue;
      }
      markers.push({ name: s.category, start, end, category: markerCategory(s.category), depth: s.depth });
    }
    return markers;
  }
}
