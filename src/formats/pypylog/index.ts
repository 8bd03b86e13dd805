/**
 * PyPy's debug log (`PYPYLOG=gc,jit-summary:file pypy3 prog.py`).
 *
 * Layout: text lines. Sections open with `[hex timestamp] {category` and close
 * with `[hex timestamp] category}`; sections nest (`gc-minor` holds
 * `gc-minor-walkroots`); any other line is free text printed inside the
 * innermost open section. Timestamps are CPU time-stamp-counter ticks on x86-64
 * (not nanoseconds), so times need a clock rate: see `tickClock`.
 *
 * What the reader makes of it: every section becomes a marker on one thread
 * (name = category; marker category `gc` for gc-*, `jit` for jit-*, else
 * `other`; `depth` = nesting level). Marker data holds the raw ticks, the
 * number of text lines and the first few of them (bounded), and parsed tables for
 * `jit-summary` (key -> numbers) and `jit-backend-counts` (entry/bridge counters).
 * Read alone, ticks are converted at a rate estimated from jit-summary's TOTAL
 * seconds when the log has one, else at a nominal 2.5 GHz (with a warning either way);
 * `attachPypyLog` re-times the markers on the clock of the VMProf profile recorded
 * beside the log and adds them to its main thread: exactly when the profile carries
 * both clocks read together (`record` writes META pypylog_clock), else by stretching
 * the log's tick range over the profile's span (approximate; attachments.pypylogTiming
 * says which).
 */
import { type AddedMarker, ProfileBuilder, withMarkers } from '../../model/builder.js';
import { profileDuration, type Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { StringLines } from '../text-lines.js';
import { withFormatErrors } from '../reader-guard.js';
import type { Format } from '../registry.js';
import { pypylogSignature } from './signature.js';
export { sniffPypyLog } from './signature.js';

const FORMAT = 'pypylog';

/** Ticks per ms assumed when nothing better is known: a 2.5 GHz time-stamp counter. */
export const NOMINAL_TICKS_PER_MS = 2.5e6;
/** Text lines kept per section (each cut at MAX_LINE_CHARS); the count is always exact. */
export const MAX_SECTION_LINES = 8;
const MAX_LINE_CHARS = 240;
const MAX_BACKEND_COUNTS = 10_000;

const SECTION = /^\[([0-9a-fA-F]+)\] (\{)?([^\s{}]+)(\})?\s*$/;

export interface PypyLogSection {
  category: string;
  startTick: number;
  endTick: number;
  /** 0 for top-level sections, 1 inside one, ... */
  depth: number;
  /** Number of free-text lines directly inside this section. */
  lineCount: number;
  /** The first MAX_SECTION_LINES of them. */
  lines: string[];
  /** jit-summary: each `key: value(s)` line. */
  summary?: Record<string, number | number[]>;
  /** jit-backend-counts: `entry 3:1200`, `bridge 1403...:0`, `TargetToken(...):5`. */
  counts?: { name: string; count: number }[];
  /** True when the log ended before the section closed. */
  unclosed?: true;
}

export interface PypyLog {
  firstTick: number;
  lastTick: number;
  /** Sections in the order they opened. */
  sections: PypyLogSection[];
  /** Free-text lines outside any section. */
  looseLines: number;
  warnings: string[];
}

/** What readPypyLog stores in `profile.attachments.pypylog`. */
export interface PypyLogInfo {
  firstTick: number;
  lastTick: number;
  /** The rate used to convert ticks to the markers' ms. */
  ticksPerMs: number;
  /** True when that rate is a guess or an estimate, not derived from a wall-clock span. */
  nominalRate: boolean;
  /** Where the rate came from: the caller's wall-clock span, jit-summary's TOTAL, or the nominal 2.5 GHz. */
  rateSource: 'span' | 'jit-summary' | 'nominal';
  sectionCounts: Record<string, number>;
}

function parseSummaryLine(section: PypyLogSection, text: string): void {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return;
  const values = text
    .slice(colon + 1)
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  if (values.length === 0 || values.some(Number.isNaN)) return;
  section.summary ??= {};
  section.summary[text.slice(0, colon).trim()] = values.length === 1 ? values[0] : values;
}

function parseCountLine(section: PypyLogSection, text: string): void {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return;
  const count = Number(text.slice(colon + 1));
  if (Number.isNaN(count)) return;
  section.counts ??= [];
  if (section.counts.length < MAX_BACKEND_COUNTS) section.counts.push({ name: text.slice(0, colon).trim(), count });
}

/**
 * The section parser, one line at a time (parsePypyLog for a whole file; record --stream
 * for a log still being written). `onClose` gets each section as it closes, nested ones
 * before the one around them; with `keep` every section is also kept in `sections`, in
 * the order they opened.
 */
export class PypyLogParser {
  readonly sections: PypyLogSection[] = [];
  firstTick = NaN;
  lastTick = NaN;
  looseLines = 0;
  lineNo = 0;
  private readonly open: PypyLogSection[] = [];
  private mismatched = 0;
  private backwards = 0;

  constructor(
    private readonly onClose: ((section: PypyLogSection) => void) | null = null,
    private readonly keep = true,
  ) {}

  /** One line (without its line break). Throws ProfileFormatError when the log does not start like a PyPy log. */
  line(line: string): void {
    this.lineNo++;
    const m = line.charCodeAt(0) === 0x5b /* [ */ ? SECTION.exec(line) : null;
    const opens = m !== null && m[2] === '{' && m[4] === undefined;
    const closes = m !== null && m[2] === undefined && m[4] === '}';
    const open = this.open;
    if (!opens && !closes) {
      if (Number.isNaN(this.firstTick)) {
        if (line.trim() === '') return;
        const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
        throw new ProfileFormatError(FORMAT, `expected "[hex timestamp] {category", found ${JSON.stringify(shown)}`, -1, this.lineNo);
      }
      const inner = open.at(-1);
      if (!inner) {
        this.looseLines++;
        return;
      }
      inner.lineCount++;
      if (inner.lines.length < MAX_SECTION_LINES)
        inner.lines.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
      if (inner.category === 'jit-summary') parseSummaryLine(inner, line);
      else if (inner.category === 'jit-backend-counts') parseCountLine(inner, line);
      return;
    }
    const tick = parseInt(m![1], 16);
    if (Number.isNaN(this.firstTick)) this.firstTick = tick;
    if (tick < this.lastTick) this.backwards++;
    else this.lastTick = tick;
    const category = m![3];
    if (opens) {
      const section: PypyLogSection = { category, startTick: tick, endTick: tick, depth: open.length, lineCount: 0, lines: [] };
      if (this.keep) this.sections.push(section);
      open.push(section);
      return;
    }
    // A close: it ends the innermost open section of that category (and anything left open inside it).
    let k = open.length - 1;
    while (k >= 0 && open[k].category !== category) k--;
    if (k < 0) {
      this.mismatched++;
      return;
    }
    while (open.length > k + 1) {
      const dangling = open.pop()!;
      dangling.endTick = tick;
      dangling.unclosed = true;
      this.mismatched++;
      this.onClose?.(dangling);
    }
    const closed = open.pop()!;
    closed.endTick = tick;
    this.onClose?.(closed);
  }

  /** The log ended: sections still open are closed at its last timestamp. Returns the warnings. */
  end(): string[] {
    const warnings: string[] = [];
    if (this.open.length > 0) {
      for (const s of this.open) {
        s.endTick = this.lastTick;
        s.unclosed = true;
      }
      for (let i = this.open.length - 1; i >= 0; i--) this.onClose?.(this.open[i]);
      warnings.push(`${this.open.length} section(s) still open at the end of the log (truncated?): closed at its last timestamp`);
      this.open.length = 0;
    }
    if (this.mismatched > 0) warnings.push(`${this.mismatched} section end(s) did not match the open section`);
    if (this.backwards > 0) warnings.push(`${this.backwards} timestamp(s) went backwards (several CPUs' counters?)`);
    return warnings;
  }
}

/** Parses the log's sections with their raw ticks. Throws ProfileFormatError on input that is not a PyPy log. */
export function parsePypyLog(bytes: Uint8Array): PypyLog {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new ProfileFormatError(FORMAT, 'empty input', 0);
  const parser = new PypyLogParser();
  const lines = new StringLines(text);
  for (let line = lines.next(); line !== null; line = lines.next()) parser.line(line);
  if (Number.isNaN(parser.firstTick))
    throw new ProfileFormatError(FORMAT, 'no "[timestamp] {category" section found', -1, Math.max(parser.lineNo, 1));
  const warnings = parser.end();
  return { firstTick: parser.firstTick, lastTick: parser.lastTick, sections: parser.sections, looseLines: parser.looseLines, warnings };
}

/**
 * Maps time-stamp-counter ticks to ms since `firstTick`, stretching the log's
 * tick range [firstTick, lastTick] over `spanMs` of wall-clock time (the span of
 * the profile recorded beside the log: its end time minus its start time).
 * This assumes the log covers the same stretch of time as the profile; a PyPy
 * log also covers interpreter start-up and exit, so times are approximate (on
 * the fixtures, within about 10%). With no span, the nominal rate is used.
 */
export function tickClock(firstTick: number, lastTick: number, spanMs?: number): { ticksPerMs: number; toMs: (tick: number) => number } {
  const ticks = lastTick - firstTick;
  const ticksPerMs = spanMs !== undefined && spanMs > 0 && ticks > 0 ? ticks / spanMs : NOMINAL_TICKS_PER_MS;
  return { ticksPerMs, toMs: (tick: number) => (tick - firstTick) / ticksPerMs };
}

export function markerCategory(category: string): 'gc' | 'jit' | 'other' {
  return category.startsWith('gc') ? 'gc' : category.startsWith('jit') ? 'jit' : 'other';
}

function markerData(s: PypyLogSection): Record<string, unknown> {
  const data: Record<string, unknown> = { startTick: s.startTick, endTick: s.endTick, lineCount: s.lineCount };
  if (s.lines.length > 0) data.lines = s.lines;
  if (s.summary) data.summary = s.summary;
  if (s.counts) data.counts = s.counts;
  if (s.unclosed) data.unclosed = true;
  return data;
}

/** Reads a PyPy log on its own: markers on one thread, ticks at the nominal rate unless `spanMs` is given. */
export function readPypyLog(bytes: Uint8Array, spanMs?: number): Profile {
  const log = parsePypyLog(bytes);
  const builder = new ProfileBuilder(FORMAT, { interpreter: 'pypy' });
  for (const w of log.warnings) builder.warn(w);
  let rateSource: PypyLogInfo['rateSource'] = 'span';
  let clock = tickClock(log.firstTick, log.lastTick, spanMs);
  if (!(spanMs !== undefined && spanMs > 0 && log.lastTick > log.firstTick)) {
    // jit-summary's TOTAL is the seconds from JIT start-up (the start of the log) to
    // the summary: a measured rate, better than a guess.
    const summary = log.sections.find((s) => s.category === 'jit-summary' && typeof s.summary?.TOTAL === 'number');
    const totalSeconds = summary?.summary?.TOTAL as number | undefined;
    if (summary && totalSeconds && totalSeconds > 0 && summary.startTick > log.firstTick) {
      const rate = (summary.startTick - log.firstTick) / (totalSeconds * 1000);
      clock = { ticksPerMs: rate, toMs: (tick: number) => (tick - log.firstTick) / rate };
      rateSource = 'jit-summary';
      builder.warn(
        `PyPy log timestamps are CPU ticks: converted at ${(rate / 1e6).toFixed(2)} GHz, estimated from jit-summary's TOTAL; times are approximate (attach the log to its .prof for wall-clock times)`,
      );
    } else {
      rateSource = 'nominal';
      builder.warn(
        'PyPy log timestamps are CPU ticks: converted at a nominal 2.5 GHz, so times are approximate (attach the log to its .prof for wall-clock times)',
      );
    }
  }
  const nominal = rateSource !== 'span';
  const thread = builder.thread('0', 'main');
  const counts: Record<string, number> = {};
  for (const s of log.sections) {
    builder.addMarker(
      thread,
      s.category,
      clock.toMs(s.startTick),
      clock.toMs(s.endTick),
      markerCategory(s.category),
      markerData(s),
      s.depth,
    );
    counts[s.category] = (counts[s.category] ?? 0) + 1;
  }
  builder.meta.extra.ticksPerMs = String(clock.ticksPerMs);
  builder.meta.extra.sections = String(log.sections.length);
  if (log.looseLines > 0) builder.meta.extra.looseLines = String(log.looseLines);
  const info: PypyLogInfo = {
    firstTick: log.firstTick,
    lastTick: log.lastTick,
    ticksPerMs: clock.ticksPerMs,
    nominalRate: nominal,
    rateSource,
    sectionCounts: counts,
  };
  builder.attachments.pypylog = info;
  return builder.build();
}

/**
 * Adds a PyPy log's sections as markers to the main thread (the one with the
 * most samples) of a profile recorded in the same run, typically a PyPy VMProf
 * profile. Ticks are re-timed with `tickClock` over the profile's span
 * (meta.endTime - meta.startTime, else its sample duration): the log's first
 * tick lands at the profile's start and its last at the profile's end.
 * `log` is a profile from readPypyLog or the result of parsePypyLog.
 * Returns a new Profile; the inputs are not modified.
 */
export function attachPypyLog(profile: Profile, log: Profile | PypyLog): Profile {
  const spanMs = profileDuration(profile);
  const recorded = recordedTickClock(profile);
  const timing: PypyLogTiming = recorded ? { source: 'clock', ticksPerMs: recorded.ticksPerMs } : { source: 'span', ticksPerMs: NaN };
  /** The recorded clock when the profile has one, else the log's range stretched over the profile's span. */
  const clockFor = (firstTick: number, lastTick: number) => {
    const clock = recorded ?? tickClock(firstTick, lastTick, spanMs);
    if (!recorded) timing.ticksPerMs = clock.ticksPerMs;
    return clock;
  };
  const added: AddedMarker[] = [];
  if ('sections' in log) {
    const clock = clockFor(log.firstTick, log.lastTick);
    for (const s of log.sections) {
      added.push({
        name: s.category,
        category: markerCategory(s.category),
        start: clock.toMs(s.startTick),
        end: clock.toMs(s.endTick),
        depth: s.depth,
        data: markerData(s),
      });
    }
  } else {
    const info = log.attachments.pypylog as PypyLogInfo | undefined;
    if (!info) throw new Error('attachPypyLog: the second profile was not read from a PyPy log');
    const clock = clockFor(info.firstTick, info.lastTick);
    for (const t of log.threads) {
      for (let i = 0; i < t.markers.length; i++) {
        const data = t.markers.data[i];
        // Raw ticks travel in the marker data; fall back to rescaling the ms.
        const startTick = typeof data?.startTick === 'number' ? data.startTick : info.firstTick + t.markers.start[i] * info.ticksPerMs;
        const endTick = typeof data?.endTick === 'number' ? data.endTick : info.firstTick + t.markers.end[i] * info.ticksPerMs;
        added.push({
          name: log.strings[t.markers.name[i]],
          category: log.strings[t.markers.category[i]],
          start: clock.toMs(startTick),
          end: clock.toMs(endTick),
          depth: t.markers.depth[i],
          data,
        });
      }
    }
  }

  const marked = withMarkers(profile, added);
  const warnings = [...profile.meta.warnings];
  if (!recorded) warnings.push("PyPy log markers are timed by stretching the log's tick range over this profile's span: approximate");
  return {
    ...marked,
    meta: { ...profile.meta, warnings },
    attachments: { ...profile.attachments, pypylogTiming: timing },
  };
}

/** How attachPypyLog placed a log's sections on the profile's clock (`profile.attachments.pypylogTiming`). */
export interface PypyLogTiming {
  /**
   * `clock`: from the tick counter and the wall clock read together at the profile's start and
   * stop (META `pypylog_clock`, written by `record`): sections land where they happened.
   * `span`: the log's first to last tick stretched over the profile's start-stop span: the log
   * also covers start-up and exit, so times are approximate (about 10% on the fixtures).
   */
  source: 'clock' | 'span';
  ticksPerMs: number;
}

/**
 * The tick-to-ms clock from META `pypylog_clock` = "tick0 unixMs0 tick1 unixMs1" (PyPy's debug
 * tick counter, which PYPYLOG's timestamps are, read with the Unix time at the start and stop
 * of the recording); ms are from the profile's start. Null when absent or not usable.
 */
export function recordedTickClock(profile: Profile): { ticksPerMs: number; toMs: (tick: number) => number } | null {
  const text = profile.meta.extra.pypylog_clock;
  if (typeof text !== 'string' || !(profile.meta.startTime > 0)) return null;
  const [tick0, ms0, tick1, ms1] = text.trim().split(/\s+/).map(Number);
  if (![tick0, ms0, tick1, ms1].every(Number.isFinite) || !(tick1 > tick0) || !(ms1 > ms0)) return null;
  const ticksPerMs = (tick1 - tick0) / (ms1 - ms0);
  const offset = ms0 - profile.meta.startTime;
  return { ticksPerMs, toMs: (tick: number) => offset + (tick - tick0) / ticksPerMs };
}

export const pypylogFormat: Format = {
  ...pypylogSignature,
  read: (bytes) => withFormatErrors(FORMAT, () => readPypyLog(bytes)),
};
