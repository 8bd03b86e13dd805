/** `pyrometer top PID`: a live view of a running CPython's hottest functions, like `py-spy top`. */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { pidOption } from './record.js';
import { positiveInteger } from './options.js';
import { sanitize } from '../report/text.js';

const EXAMPLES = `
Examples:
  $ pyrometer top 4242            refreshed every second until Ctrl-C or the process ends
  $ pyrometer top 4242 --wall     waiting threads count too (shown as idle)
  $ pyrometer top 4242 -n 5 > top.txt   five refreshes, then exit (no screen clearing when not a terminal)
`;

export const registerTop: RegisterCommand = (program: Command) => {
  program
    .command('top')
    .description('live view of the hottest functions of a running CPython process, refreshed each second (like py-spy top)')
    .argument('<pid>', 'the process id', pidOption)
    .option(
      '--rate <hz>',
      'samples per second',
      (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 1 || n > 10_000) throw new CliError(`--rate must be from 1 to 10000, not "${v}"`, 2);
        return n;
      },
      100,
    )
    .option('--wall', 'count waiting threads too (their time shows as idle)')
    .option('-n, --iterations <n>', 'print this many refreshes, then exit (like top -n)', positiveInteger('--iterations'))
    .option('--once', 'print one refresh and exit (= -n 1)')
    .addHelpText('after', EXAMPLES)
    .action(async (pid: number, opts: { rate: number; wall?: boolean; once?: boolean; iterations?: number }) => {
      const refreshes = opts.once ? 1 : (opts.iterations ?? Infinity);
      const { OutsideSampler } = await import('../capture/outside/sampler.js');
      const { CountingSink } = await import('../capture/outside/top.js');
      const { AttachError } = await import('../capture/outside/errors.js');
      const sink = new CountingSink();
      const sampler = new OutsideSampler({ pid, mode: opts.wall ? 'wall' : 'cpu', rateHz: opts.rate, sink });
      try {
        sampler.attachNow();
      } catch (err) {
        if (err instanceof AttachError) throw new CliError(err.message);
        throw err;
      }
      const tty = process.stdout.isTTY === true;
      const render = () => {
        const width = process.stdout.columns || 100;
        const t = sink.take(Math.max(5, (process.stdout.rows || 30) - 6));
        const lines = [
          `pyrometer top: process ${pid}, Python ${sampler.python} · ${t.samples} samples in the last second${t.idle ? ` (${t.idle} idle)` : ''} · ${t.threads} thread${t.threads === 1 ? '' : 's'} · Ctrl-C to quit`,
          '',
          '  %Own   %Total  Function (file:line)',
        ];
        const busy = Math.max(1, t.samples - t.idle);
        for (const r of t.rows) {
          const text = `${((100 * r.self) / busy).toFixed(1).padStart(6)}  ${((100 * r.total) / busy).toFixed(1).padStart(6)}  ${sanitize(r.name)} (${sanitize(r.where)})`;
          lines.push(text.length > width ? text.slice(0, width - 1) + '…' : text);
        }
        if (t.rows.length === 0) lines.push('  (no Python code ran in the last second)');
        process.stdout.write((tty ? '\x1b[H\x1b[2J' : '') + lines.join('\n') + '\n');
      };
      await new Promise<void>((resolveDone) => {
        let rendered = 0;
        const refresh = setInterval(() => {
          render();
          if (++rendered >= refreshes) finish();
        }, 1000);
        const finish = () => {
          clearInterval(refresh);
          process.off('SIGINT', finish);
          process.off('SIGTERM', finish);
          resolveDone();
        };
        process.on('SIGINT', finish);
        process.on('SIGTERM', finish);
        sampler.start(finish);
      });
      sampler.stop();
    });
};
