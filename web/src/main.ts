/** Entry point of the viewer bundle: picks where the profiles come from and starts the app. */
import { App } from './app.js';
import { querySources, reportSources, serverSources } from './loader.js';

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  const app = new App(root);
  const sources = reportSources() ?? querySources(window.location.search) ?? (await serverSources());
  if (sources && sources.length > 0) await app.open(sources);
  else app.showEmpty('No profile loaded.');
}

window.addEventListener('error', (e) => {
  if (window.__pyrometer) window.__pyrometer.error = String(e.message);
});
window.addEventListener('unhandledrejection', (e) => {
  const message = e.reason instanceof Error ? e.reason.message : String(e.reason);
  if (window.__pyrometer) window.__pyrometer.error = message;
  console.error(`pyrometer: ${message}`);
});
void start();
