/**
 * Examples for `pyrometer <command> --help`, for commands whose module does
 * not add its own (a command's own addHelpText('after', …) always wins).
 * Kept in one place so every command's help ends with something to copy.
 */
export const FALLBACK_EXAMPLES: Record<string, string> = {
  view: `
Examples:
  $ pyrometer view out.prof                 open the viewer in your browser
  $ pyrometer view before.prof after.prof   several profiles, to switch between (Compare button)
  $ pyrometer view before.prof after.prof --compare
                                            open straight in the Compare view (differential flame graph)
  $ pyrometer view out.prof --no-open --port 8080
`,
  report: `
Examples:
  $ pyrometer report out.prof -o report.html          one file to mail or attach, works offline
  $ pyrometer report a.prof b.prof -o both.html --no-sources
`,
  serve: `
Examples:
  $ pyrometer serve                                   http://127.0.0.1:8000, SQLite under ~/.local/share/pyrometer
  $ pyrometer serve --host 0.0.0.0 --require-token    a team server; create tokens with 'pyrometer token create'
  $ pyrometer serve --db postgres://user@db/pyrometer
  $ python -m vmprof --web --web-url http://127.0.0.1:8000 app.py   the vmprof client uploads unchanged
`,
  upload: `
Examples:
  $ pyrometer upload out.prof --server http://127.0.0.1:8000
  $ PYROMETER_SERVER=https://profiles.example.com PYROMETER_TOKEN=… pyrometer upload run.prof run.prof.jit
`,
  token: `
Examples:
  $ pyrometer token create --name ci        prints the secret once
  $ pyrometer token list
  $ pyrometer token revoke 3
`,
};
