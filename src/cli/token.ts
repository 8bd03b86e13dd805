/**
 * `pyrometer token create|list|revoke`: upload (and view) tokens for
 * `pyrometer serve --require-token/--private`. Works on the same store as the
 * server (--db/--data), also while it runs. A new token is printed once; only
 * its hash is stored.
 */
import type { Command } from 'commander';
import type { RegisterCommand } from './commands.js';
import { CliError } from './errors.js';
import { generateToken, hashToken } from '../server/auth.js';
import { addStoreOptions, openCliStore, type StoreCliOptions } from './serve.js';

function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export const registerToken: RegisterCommand = (program: Command) => {
  const token = program.command('token').description('create, list and revoke the tokens `pyrometer serve` accepts');

  addStoreOptions(token.command('create').description('make a new token and print it (shown only this once)'))
    .option('--name <name>', 'what the token is for, e.g. "ci" or a person', '')
    .action(async (opts: StoreCliOptions & { name: string }) => {
      const store = await openCliStore(opts);
      try {
        const secret = generateToken();
        const row = await store.createToken(opts.name, hashToken(secret));
        process.stderr.write(`pyrometer: token ${row.id}${opts.name ? ` (${opts.name})` : ''} created; it is shown only now:\n`);
        process.stdout.write(`${secret}\n`);
      } finally {
        await store.close();
      }
    });

  addStoreOptions(token.command('list').description('list tokens (never their secrets)')).action(async (opts: StoreCliOptions) => {
    const store = await openCliStore(opts);
    try {
      const rows = await store.listTokens();
      if (rows.length === 0) {
        process.stdout.write('no tokens (create one with `pyrometer token create --name NAME`)\n');
        return;
      }
      process.stdout.write('id  name                  created              last used            state\n');
      for (const r of rows) {
        const name = r.name
          .replace(/[\u0000-\u001f\u007f]/g, '?')
          .slice(0, 20)
          .padEnd(20);
        process.stdout.write(
          `${String(r.id).padEnd(3)} ${name}  ${when(r.createdAt)}  ${when(r.lastUsedAt).padEnd(19)}  ${r.revokedAt === null ? 'live' : `revoked ${when(r.revokedAt)}`}\n`,
        );
      }
    } finally {
      await store.close();
    }
  });

  addStoreOptions(token.command('revoke').description('revoke a token by its id (see `pyrometer token list`)'))
    .argument('<id>', 'the token id')
    .action(async (id: string, opts: StoreCliOptions) => {
      if (!/^\d+$/.test(id)) throw new CliError(`token id must be a number (see \`pyrometer token list\`), not "${id}"`, 2);
      const store = await openCliStore(opts);
      try {
        if (!(await store.revokeToken(Number(id)))) throw new CliError(`no live token ${id}`);
        process.stdout.write(`token ${id} revoked\n`);
      } finally {
        await store.close();
      }
    });
};
