/**
 * Checks both local servers share (`serve` and the `view` server): which Host
 * headers a request may carry, and how long a client may take. A web page the
 * user opens can make the browser send requests to a loopback server; with DNS
 * rebinding (attacker.example resolving to 127.0.0.1) it could also read the
 * answers. A loopback server therefore answers only requests addressed to a
 * loopback name: the rebinding page's requests carry Host: attacker.example.
 */
import { isIP } from 'node:net';

/** Names that always mean this machine. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host name in a Host header, lowercased, without the port; null when it is not a well-formed header. */
export function hostName(header: string): { name: string; port: number | null } | null {
  const h = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]{2,45}\]|[a-z0-9._-]{1,253})(?::(\d{1,5}))?$/.exec(h);
  if (!m) return null;
  return { name: m[1], port: m[2] === undefined ? null : Number(m[2]) };
}

export interface HostPolicy {
  /** Host names (no port) requests may be addressed to; null accepts any. */
  names: Set<string> | null;
}

/**
 * Which Host headers a server bound to `bindHost` accepts: on a loopback
 * address only loopback names (and `extra`); on another address any name
 * unless `extra` lists them (a public server is reached by names we cannot
 * know; `--allow-host` narrows it). IP literals of the bound address always work.
 */
export function hostPolicy(bindHost: string, extra: readonly string[] = []): HostPolicy {
  const names = new Set<string>(extra.map((n) => n.trim().toLowerCase()).filter(Boolean));
  if (!isLoopbackAddress(bindHost) && names.size === 0) return { names: null };
  for (const n of LOOPBACK_NAMES) names.add(n);
  const bound = bindHost.toLowerCase();
  names.add(isIP(bound) === 6 ? `[${bound}]` : bound);
  return { names };
}

/** Whether a request with this Host header may be answered by a server listening on `port`. */
export function hostAllowed(policy: HostPolicy, header: string | undefined, port: number): boolean {
  if (policy.names === null) return true;
  if (!header) return false;
  const parsed = hostName(header);
  if (!parsed) return false;
  // No port in the header means the scheme's default.
  if ((parsed.port ?? 80) !== port) return false;
  return policy.names.has(parsed.name);
}

export const MISDIRECTED_MESSAGE =
  'this server answers only requests addressed to its own name (unexpected Host header); start it with --allow-host NAME to add one';

/**
 * How long a client may take. A connection that sends nothing for `idleMs`
 * is closed; headers must arrive within `headersMs` and a whole request
 * (a large upload over a slow link included) within `requestMs`. Without
 * these a few dozen slow clients hold sockets and spool files forever.
 */
export interface ClientTimeouts {
  idleMs: number;
  headersMs: number;
  requestMs: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = { idleMs: 60_000, headersMs: 30_000, requestMs: 30 * 60_000 };

/** node:http server options enforcing `timeouts` (the socket idle timeout is set with server.setTimeout). */
export function httpServerTimeouts(timeouts: ClientTimeouts): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  const headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
  return {
    headersTimeout,
    requestTimeout: timeouts.requestMs,
    // Node checks both deadlines on this period; a tenth of the shorter keeps them close to what was asked.
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(headersTimeout / 10))),
  };
}
