/**
 * Throw-away ClickHouse servers for the continuous-store tests: one, or two
 * forming the 2-shard cluster `pyrometer_2shards`, from the loopback config
 * the project ships (scripts/clickhouse/), on free ports with data under /tmp,
 * killed and deleted afterwards. When clickhouse-server is missing this
 * throws, so the tests FAIL: `npm run test:deps` installs it (Debian's package).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './pg-cluster.js';

const CONFIG_DIR = new URL('../../scripts/clickhouse/', import.meta.url).pathname;

export interface ClickHouseCluster {
  /** clickhouse://… for the store: one server, or both shards with ?cluster=. */
  url(database: string): string;
  stop(): void;
}

async function waitUntilUp(httpPort: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (child.exitCode !== null) throw new Error(`clickhouse-server exited (${child.exitCode}): ${readLog(log)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${httpPort}/ping`);
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`clickhouse-server did not answer on port ${httpPort} within 60 s: ${readLog(log)}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** `parent`: where the servers' data directories go (default: the system's temporary directory). */
export async function startClickHouse(shards: 1 | 2, parent = tmpdir()): Promise<ClickHouseCluster> {
  if (spawnSync('sh', ['-c', 'command -v clickhouse-server'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('clickhouse-server not found: run `npm run test:deps` (installs the Debian clickhouse-server package)');
  }
  const ports = [];
  for (let i = 0; i < shards; i++) ports.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (const p of ports) {
      const dir = mkdtempSync(join(parent, 'pyrometer-ch-'));
      dirs.push(dir);
      const config = readFileSync(join(CONFIG_DIR, 'config.xml'), 'utf8')
        .replaceAll('@DATA@', dir)
        .replaceAll('@HTTP_PORT@', String(p.http))
        .replaceAll('@TCP_PORT@', String(p.tcp))
        .replaceAll('@INTERSERVER_PORT@', String(p.interserver))
        .replaceAll('@SHARD1_TCP_PORT@', String(ports[0].tcp))
        .replaceAll('@SHARD2_TCP_PORT@', String((ports[1] ?? ports[0]).tcp));
      writeFileSync(join(dir, 'config.xml'), config);
      copyFileSync(join(CONFIG_DIR, 'users.xml'), join(dir, 'users.xml'));
      const child = spawn('clickhouse-server', ['-C', join(dir, 'config.xml')], { stdio: ['ignore', 'ignore', 'ignore'], cwd: dir });
      children.push(child);
    }
    await Promise.all(ports.map((p, i) => waitUntilUp(p.http, children[i], join(dirs[i], 'server.err.log'))));
  } catch (err) {
    stop();
    throw err;
  }
  process.once('exit', stop);
  return {
    url(database: string) {
      const hosts = ports.map((p) => `127.0.0.1:${p.http}`).join(',');
      return `clickhouse://${hosts}/${database}${shards === 2 ? '?cluster=pyrometer_2shards' : ''}`;
    },
    stop,
  };
}
