/**
 * Runs the CLI once (`node --import tsx loaded-modules.ts ARGS…`) and prints, as the last line of
 * stderr, `LOADED ` and the JSON list of every module URL it loaded: the start-up test reads it to
 * see that a command loads only what it uses. The URLs come from a module-loading hook (it runs on
 * its own thread); one round trip over the same port at the end makes sure every URL has arrived.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const HOOK = `
let port;
export function initialize(data) {
  port = data.port;
  port.on('message', (m) => port.postMessage(m));
}
export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}
`;

const loaded: string[] = [];
const { port1, port2 } = new MessageChannel();
register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { port: port2 }, transferList: [port2] });
const flushed = new Promise<void>((resolve) => {
  port1.on('message', (m: string) => {
    if (m === '\0flush') resolve();
    else loaded.push(m);
  });
});

const { main } = await import('../../src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
port1.postMessage('\0flush');
await flushed;
port1.close();
process.stderr.write(`\nLOADED ${JSON.stringify(loaded)}\n`);
