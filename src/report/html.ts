/**
 * `pyrometer report`: one self-contained HTML file, the viewer and the data
 * inlined, that opens by double-click with no network. Profiles travel as
 * the serialized model in base64; the source files the profiles name are
 * embedded when they are readable now (bounded in size), so the source view
 * works on another machine too.
 */
import { readSourceFile } from '../assets/source-file.js';
import type { Profile } from '../model/profile.js';
import { serializeProfile } from '../model/serialize.js';
import { readViewerAsset } from '../assets/viewer.js';
import { isSourceFileName, profileFiles } from '../model/source-files.js';

export interface ReportProfile {
  name: string;
  profile: Profile;
  /** Where the profile's relative file names are looked up: its file's directory (none: not read). */
  sourceDir?: string;
}

export interface ReportOptions {
  /** Embed the source files the profiles name (default true). */
  sources?: boolean;
  /** Cap on embedded source bytes in total (default 16 MiB). */
  maxSourceBytes?: number;
}

const MAX_ONE_SOURCE = 2 << 20;

/** Inline script text must not close its own <script> element. */
function escapeScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe to put inside <script type="application/json">: '<' never appears literally. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function readSources(report: ReportProfile, budget: { left: number }): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of profileFiles(report.profile)) {
    const read = await readSourceFile(file, report.sourceDir, Math.min(MAX_ONE_SOURCE, budget.left), isSourceFileName);
    // Not readable here (or not safe to read): the viewer says the source was not included.
    if (!('text' in read)) continue;
    out[file] = read.text;
    budget.left -= read.size;
  }
  return out;
}

export async function renderReport(profiles: ReportProfile[], options: ReportOptions = {}): Promise<string> {
  const js = readViewerAsset('app.js');
  const css = readViewerAsset('app.css');
  const budget = { left: options.maxSourceBytes ?? 16 << 20 };
  const data = {
    profiles: await Promise.all(
      profiles.map(async (p) => ({
        name: p.name,
        model: Buffer.from(serializeProfile(p.profile)).toString('base64'),
        sources: options.sources === false ? {} : await readSources(p, budget),
      })),
    ),
  };
  const title = profiles.length === 1 ? `${profiles[0].name} — pyrometer` : 'pyrometer report';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtmlText(title)}</title>
<style>${css.replace(/<\/(style)/gi, '<\\/$1')}</style>
</head>
<body>
<div id="app"></div>
<script id="pyrometer-data" type="application/json">${jsonForScript(data)}</script>
<script>${escapeScript(js)}</script>
</body>
</html>
`;
}
