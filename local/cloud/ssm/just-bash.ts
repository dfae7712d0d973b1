/**
 * just-bash, loaded on first use: it takes about a second to load, and only a run command needs it — not the
 * CLI's quick commands, nor a runtime that never runs one.
 */
type JustBash = typeof import('just-bash');
let loaded: JustBash | undefined;

export function justBash(): JustBash {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose (see above)
  loaded ??= require('just-bash') as JustBash;
  return loaded;
}
