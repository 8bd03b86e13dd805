/**
 * `pyrometer query URL --service S [--label k=v…] [--from T] [--to T] -o FILE`:
 * asks a `pyrometer serve` for the merged profile of a selection of streamed
 * profiles and writes it in any format we write (from the file name, or
 * --format). `--diff-from/--diff-to/--diff-label` print the biggest changes
 * from that baseline selection instead.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { deserializeProfile } from '../model/serialize.js';
import { sanitize } from '../report/text.js';

interface QueryOptions {
  service: string;
  label: string[];
  from: string;
  to: string;
  output?: string;
  format?: string;
  token?: string;
  diffFrom?: string;
  diffTo?: string;
  diffLabel: string[];
  json?: boolean;
}

const EXAMPLES = `
Examples:
  $ pyrometer query http://prof:8000 --service api --from now-1h -o api.prof.json      the last hour, as speedscope
  $ pyrometer query http://prof:8000 --service api --label version=1.3 --from 2026-12-03T08:00Z --to 2026-12-03T09:00Z -o api.svg
  $ pyrometer query http://prof:8000 --service api --from now-1h --diff-from now-2h --diff-to now-1h
                                                   biggest changes since the hour before

Times: now, now-15m, -2h, -7d, Unix seconds or ms, ISO dates.
`;

async function get(url: string, token: string | undefined): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'accept-encoding': 'gzip', ...(token ? { authorization: `Token ${token}` } : {}) } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new CliError(`cannot reach ${new URL(url).origin}: ${e.cause?.code ?? e.message} (is \`pyrometer serve\` running there?)`);
  }
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error ?? message;
    } catch {
      /* not our JSON */
    }
    throw new CliError(`the server refused the query: ${message}`);
  }
  return response;
}

function selection(params: URLSearchParams, prefix: string, from: string, to: string, labels: string[]): void {
  params.set(`${prefix}from`, from);
  params.set(`${prefix}to`, to);
  for (const l of labels) params.append(`${prefix}label`, l);
}

export const registerQuery: RegisterCommand = (program: Command) => {
  program
    .command('query')
    .description('write the merged profile of streamed profiles (a service, labels, a time range) from a `pyrometer serve`')
    .argument('<url>', 'the server, e.g. http://127.0.0.1:8000')
    .requiredOption('--service <name>', 'the service (`record --stream --service`, or a Pyroscope app name)')
    .option('--label <key=value>', 'only series with this label (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--from <time>', 'start of the range', 'now-1h')
    .option('--to <time>', 'end of the range', 'now')
    .option(
      '-o, --output <file>',
      'write the profile here; the format follows the name (.prof.json, .svg, .pb.gz, .collapsed…); - for stdout',
    )
    .option('--format <format>', 'output format when the name does not tell (see `pyrometer convert --list-formats`)')
    .option('--diff-from <time>', 'compare with a baseline starting here (prints the biggest changes)')
    .option('--diff-to <time>', 'end of the baseline (default: --from)')
    .option(
      '--diff-label <key=value>',
      'baseline labels instead of --label, e.g. version=1.2 (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--json', 'print the function table (or the diff) as JSON')
    .option('--token <token>', 'token, when the server is --private (env PYROMETER_TOKEN)', process.env.PYROMETER_TOKEN)
    .addHelpText('after', EXAMPLES)
    .action(async (url: string, opts: QueryOptions) => {
      if (!/^https?:\/\/[^/]+/i.test(url)) throw new CliError(`the server must be an http:// or https:// URL, not "${url}"`, 2);
      const base = url.replace(/\/+$/, '');
      const params = new URLSearchParams({ service: opts.service });
      const out = process.stdout;
      if (opts.diffFrom || opts.diffLabel.length > 0) {
        selection(
          params,
          'a.',
          opts.diffFrom ?? opts.from,
          opts.diffTo ?? (opts.diffFrom ? opts.from : opts.to),
          opts.diffLabel.length ? opts.diffLabel : opts.label,
        );
        selection(params, 'b.', opts.from, opts.to, opts.label);
        const diff = await (await get(`${base}/api/v1/continuous/diff?${params}`, opts.token)).json();
        if (opts.json) return void out.write(`${JSON.stringify(diff, null, 2)}\n`);
        out.write(
          `baseline ${diff.a.from} .. ${diff.a.to}: ${diff.before.total} samples; selection ${diff.b.from} .. ${diff.b.to}: ${diff.after.total} samples\n`,
        );
        out.write('  self before  self after    change  function\n');
        const pct = (x: number) => `${x.toFixed(1)}%`;
        for (const f of diff.functions.slice(0, 20)) {
          out.write(
            `  ${pct(f.beforeSelf).padStart(11)}  ${pct(f.afterSelf).padStart(10)}  ${`${f.delta >= 0 ? '+' : ''}${f.delta.toFixed(1)}`.padStart(8)}  ${sanitize(f.name)}${f.file ? ` (${sanitize(f.file)})` : ''}\n`,
          );
        }
        return;
      }
      selection(params, '', opts.from, opts.to, opts.label);
      if (opts.json || !opts.output) {
        const table = await (await get(`${base}/api/v1/continuous/functions?${params}`, opts.token)).json();
        if (opts.json) return void out.write(`${JSON.stringify(table, null, 2)}\n`);
        out.write(`${opts.service} ${table.from} .. ${table.to} (${table.resolutionMs / 1000} s buckets): ${table.total} samples\n`);
        for (const f of table.functions.slice(0, 25))
          out.write(`  ${String(f.self).padStart(10)}  ${String(f.total).padStart(10)}  ${sanitize(f.func)}\n`);
        out.write('  (self, total; -o FILE writes the whole profile)\n');
        return;
      }
      const { pickWriter, writeOutput } = await import('./convert.js');
      const format = await pickWriter(opts.output, opts.format);
      const response = await get(`${base}/api/v1/continuous/profile?${params}`, opts.token);
      const profile = deserializeProfile(new Uint8Array(await response.arrayBuffer()));
      const bytes = await writeOutput(profile, format, opts.output, {});
      if (opts.output !== '-')
        process.stderr.write(
          `pyrometer: wrote ${opts.output} (${format.name}, ${bytes} bytes; ${response.headers.get('x-pyrometer-range') ?? ''})\n`,
        );
    });
};
