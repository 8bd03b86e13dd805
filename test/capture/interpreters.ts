/**
 * The CPythons a test machine has: every pyenv 3.7–3.13 (`$PYENV_ROOT` or ~/.pyenv) and
 * Debian's /usr/bin/python3 (a static build: symbols in the executable, not a libpython).
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Interpreter {
  label: string;
  path: string;
}

export function pyenvRoot(): string {
  return process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
}

/** A pyenv interpreter by minor version (`3.6`), or null when this machine has none. */
export function pyenvPython(minor: string): string | null {
  const dir = join(pyenvRoot(), 'versions');
  if (!existsSync(dir)) return null;
  const v = readdirSync(dir).find((name) => name.startsWith(`${minor}.`));
  if (!v) return null;
  const exe = join(dir, v, 'bin', `python${minor}`);
  return existsSync(exe) ? exe : null;
}

export function cpythons(): Interpreter[] {
  const out: Interpreter[] = [];
  for (let minor = 7; minor <= 13; minor++) {
    const path = pyenvPython(`3.${minor}`);
    if (path) out.push({ label: `pyenv 3.${minor}`, path });
  }
  if (existsSync('/usr/bin/python3')) out.push({ label: 'Debian /usr/bin/python3', path: '/usr/bin/python3' });
  return out;
}
