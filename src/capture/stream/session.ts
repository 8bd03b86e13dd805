/**
 * `--stream`: follows the profile a capture writes (follow.ts) and sends
 * what was sampled every interval as one chunk (sender.ts). Intervals are cut
 * on multiples of the interval since the epoch, so with the default 10 s each
 * chunk fills one 10 s bucket of the store exactly.
 */
import { hostname } from 'node:os';
import { chunkBody } from '../../formats/stream-chunk.js';
import type { ProfileFollower } from '../child.js';
import { HOLD_MS, VmprofFollower } from './follow.js';
import { ChunkSender, type SenderCounts, type SenderOptions } from './sender.js';
import { PypyLogFollower } from './pypylog.js';
import type { StreamChunk } from '../../formats/stream-chunk.js';

export interface StreamOptions extends SenderOptions {
  service: string;
  /** Added to host and pid (which they may override). */
  labels: Record<string, string>;
  intervalMs: number;
  /** cpu or wall: what the samples measure. */
  kind: string;
  /** The agent's directory: its frames are taken out of PyPy stacks. */
  agentDir?: string;
}

/** How often the file is read between cuts: keeps each read small. */
const POLL_MS = 1000;

export class StreamSession implements ProfileFollower {
  private follower: VmprofFollower | null = null;
  /** PyPy with --pypylog: the GC/JIT phases, sent as the chunks' markers. */
  private pypylog: PypyLogFollower | null = null;
  private readonly sender: ChunkSender;
  private labels: Record<string, string>;
  private timer: NodeJS.Timeout | null = null;
  /** Fires at the next interval boundary: a cut left to the next poll came up to POLL_MS late, and the
   * chunk's midpoint (its bucket in the store) then fell before the boundary with samples taken after it. */
  private cutTimer: NodeJS.Timeout | null = null;
  private lastCut = 0;
  private nextCut = 0;
  /** Intervals already sent, latest last: samples that reach a chunk late (PyPy's held names) go back to theirs. */
  private windows: { from: number; until: number }[] = [];
  /** PyPy: make _vmprof write the names it holds once an interval, so its samples can go out named. */
  readonly nameFlushMs: number;
  /** A problem reading the profile (the capture goes on; the report says it). */
  error = '';

  constructor(private readonly options: StreamOptions) {
    this.sender = new ChunkSender(options);
    this.nameFlushMs = options.intervalMs;
    this.labels = { host: hostname(), ...options.labels };
    this.sender.kick(); // chunks an earlier run left behind
  }

  /** Also follow PyPy's log (`logPath`) with the agent's tick clock pairs (`clockPath`): call before started(). */
  followPypyLog(logPath: string, clockPath: string): void {
    this.pypylog = new PypyLogFollower(logPath, clockPath);
  }

  /** What became of PyPy's phases: sections not sent, and why the log stopped being followed. */
  get pypylogNotes(): string[] {
    const p = this.pypylog;
    if (!p) return [];
    return [
      ...(p.dropped > 0 ? [`${p.dropped} PyPy log section(s) not streamed (too many waiting, or unusable names)`] : []),
      ...(p.error ? [p.error] : []),
    ];
  }

  started(path: string, pid: number): void {
    this.labels = { host: this.labels.host, pid: String(pid), ...this.options.labels };
    this.follower = new VmprofFollower(path, this.options.agentDir);
    this.lastCut = Date.now();
    this.nextCut = (Math.floor(this.lastCut / this.options.intervalMs) + 1) * this.options.intervalMs;
    this.timer = setInterval(() => this.tick(false), Math.min(POLL_MS, this.options.intervalMs));
    this.timer.unref();
    this.scheduleCut();
  }

  private tick(final: boolean): void {
    const follower = this.follower;
    if (!follower || this.error) return;
    const now = Date.now();
    try {
      follower.poll();
      this.pypylog?.poll(final);
      if (!final && now < this.nextCut) return;
      // The chunk holds what was written until now: a tick that runs late (a loaded machine)
      // must not label later samples with the earlier boundary.
      const until = Math.max(now, this.lastCut + 1);
      // Phases that closed since the last cut ride with this cut's first chunk (or one of their own).
      let markers = this.pypylog?.take() ?? [];
      const queue = (from: number, to: number, body: Pick<StreamChunk, 'frames' | 'stacks' | 'weights'>) => {
        const chunk = {
          service: this.options.service,
          labels: this.labels,
          from,
          until: to,
          unit: 'samples',
          kind: this.options.kind,
          ...body,
        };
        this.sender.queue(markers.length > 0 ? { ...chunk, markers } : chunk);
        markers = [];
      };
      for (const piece of follower.cutByArrival(final, (arrived) => this.windowOf(arrived))) {
        if (piece.stacks.length === 0) continue;
        const sent = this.windows.find((w) => w.from === piece.window);
        queue(sent ? sent.from : this.lastCut, sent ? sent.until : until, chunkBody(piece.stacks));
      }
      if (markers.length > 0) queue(this.lastCut, until, chunkBody([]));
      // The last cut sends every phase left (more than one chunk holds, after a burst).
      while (final && (markers = this.pypylog?.take() ?? []).length > 0) queue(this.lastCut, until, chunkBody([]));
      this.windows.push({ from: this.lastCut, until });
      // A held sample is released within HOLD_MS: older intervals are never asked for.
      while (this.windows.length > 1 && this.windows[0].until < now - HOLD_MS - 2 * this.options.intervalMs) this.windows.shift();
      this.lastCut = until;
      while (this.nextCut <= now) this.nextCut += this.options.intervalMs;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** The start of the interval a record read at `arrived` belongs to: the current one, or one already sent. */
  private windowOf(arrived: number): number {
    if (arrived >= this.lastCut) return this.lastCut;
    for (let i = this.windows.length - 1; i >= 0; i--) if (this.windows[i].from <= arrived) return this.windows[i].from;
    return this.windows[0]?.from ?? this.lastCut;
  }

  private scheduleCut(): void {
    this.cutTimer = setTimeout(
      () => {
        this.tick(false);
        if (this.timer) this.scheduleCut();
      },
      Math.max(0, this.nextCut - Date.now()),
    );
    this.cutTimer.unref();
  }

  async finish(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.cutTimer) clearTimeout(this.cutTimer);
    this.cutTimer = null;
    this.tick(true);
    this.follower?.close();
  }

  /** Stops after trying to deliver the buffer for up to `waitMs`. */
  async close(waitMs: number): Promise<SenderCounts> {
    if (this.timer) await this.finish();
    return this.sender.close(waitMs);
  }
}
