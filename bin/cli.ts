/**
 * gami — the golden-ami-pipeline command line (the program; bin/gami.ts is its entry point).
 *   gami validate [paths...]   check pipeline files (or every .yaml of a directory); every problem as
 *                              file:line:col path: message (exit 2)
 *   gami schema [--check]      write (or check) pipelines/schema.json and pipelines/components/schema.json
 *   gami demo [file]           run a pipeline's lifecycle offline (npm start); prints each approver's link and
 *                              waits for a decision in the browser (in a terminal), or approves through the
 *                              real endpoint (--yes, --approve-as, or no terminal)
 *   gami serve | approvals | approve | reject   the local approval server, pending approvals (AWS or local) and
 *                              IAM decisions (bin/approvals.ts)
 *   gami images <pipeline>     every version and every copy: status, protection, shares, uses; inventories (bin/images.ts)
 *   gami distribute <pipeline> --version N [--local]
 *                              copy, share and publish an approved version again, without rebuilding it
 *   gami retention plan <pipeline>   what retention would do now, and why (bin/retention.ts)
 *   gami start | status | executions | audit   operating runs, on AWS or --local (bin/start.ts, status.ts, …)
 *
 * Exit codes: 0 ok; 1 a run that failed; 2 invalid input (config, arguments, files, a busy state directory),
 * always as one `error: …` line (or one line per config problem), never a stack trace; 130 interrupted.
 * Entry points: `bin/gami.js` is the installed launcher (`npx gami`), which runs bin/gami.ts with tsx, as
 * `npm run gami --` and `npm start` do. Tests call `main` with their own Io.
 */
import { addApprovalCommands } from './approvals';
import { addDistributeCommand } from './distribute';
import { addImagesCommand } from './images';
import { addRetentionCommand } from './retention';
import { addAuditCommand } from './audit';
import { addExecutionsCommand } from './executions';
import { addStartCommand } from './start';
import { addStatusCommand } from './status';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { StateDirError } from '../local/state-dir';
import { schemaFiles } from '../pipeline/schema';
import { summarizePipeline } from '../pipeline/summary';
import { formatDiagnostic, validatePipelineFiles } from '../pipeline/validate';

/** Exit code for invalid input (bad config, bad arguments). */
export const EXIT_INVALID = 2;

/** Largest `--speed`: one simulated hour per wall second (the example run takes well under a second). */
export const MAX_SPEED = 3600;
export const DEFAULT_SPEED = 120;

/** Ctrl-C signals that arrive within this of the first are the same press, relayed (see the demo action). */
const REPEATED_INTERRUPT_MS = 1000;

const PACKAGE = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

export function defaultPipelineFiles(dir = 'pipelines'): string[] {
  try {
    return yamlFilesIn(dir);
  } catch {
    return [];
  }
}

function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => join(dir, name));
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Environment (npm's variables tell that npm swallowed an option). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Subscribe to Ctrl-C; returns the unsubscribe. Default: process SIGINT. */
  onInterrupt?: (listener: () => void) => () => void;
  /**
   * Clock of runs on the local runtime (`gami start --local`), given when the state directory's simulated
   * account was last saved; tests give a virtual clock.
   */
  clock?: (savedAt: number | undefined) => import('../local/clock').Clock;
}

const defaultIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  onInterrupt: (listener) => {
    process.on('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
};

/** A user error: one line on stderr, exit 2. */
function invalid(message: string): CommanderError {
  return new CommanderError(EXIT_INVALID, 'gami.invalidInput', message);
}

export function parseSpeed(value: string): number {
  const speed = Number(value);
  if (value.trim() === '' || !Number.isFinite(speed) || speed <= 0 || speed > MAX_SPEED) {
    throw new InvalidArgumentError(`"${value}" is not a speed: give simulated seconds per wall second, more than 0 and at most ${MAX_SPEED}`);
  }
  return speed;
}

/** Demo options npm takes for itself when they come before `--` (`npm start --speed 600`). */
const DEMO_OPTIONS = [
  { flag: '--speed', env: 'npm_config_speed', takesValue: true },
  { flag: '--state-dir', env: 'npm_config_state_dir', takesValue: true },
  { flag: '--fresh', env: 'npm_config_fresh', takesValue: false },
];

/**
 * `npm start --speed 600` gives npm the option (npm_config_speed=true) and the script only `600`, which would
 * be read as the pipeline file. Detect it and say how to pass options through npm.
 */
function swallowedByNpm(env: NodeJS.ProcessEnv, file: string | undefined): string | undefined {
  if (!env.npm_lifecycle_event) return undefined;
  const swallowed = DEMO_OPTIONS.filter((o) => env[o.env] !== undefined);
  if (swallowed.length === 0) return undefined;
  let positional = file;
  const retyped = swallowed.map((o) => {
    if (!o.takesValue) return o.flag;
    let value = env[o.env];
    if (value === 'true' && positional !== undefined) {
      value = positional;
      positional = undefined;
    }
    return `${o.flag} ${value === 'true' ? '<value>' : value}`;
  });
  const script = env.npm_lifecycle_event === 'start' ? 'npm start' : `npm run ${env.npm_lifecycle_event}`;
  return `npm took ${swallowed.map((o) => o.flag).join(', ')} for itself: options go after "--", as in: ${script} -- ${retyped.join(' ')}`;
}

/** Files to validate: files as given, directories expanded to their .yaml/.yml files. */
function expandPaths(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return [path]; // validate reports "file not found" in its own line format
    }
    if (!isDirectory) return [path];
    const files = yamlFilesIn(path);
    if (files.length === 0) throw invalid(`${path} is a directory with no .yaml or .yml files`);
    return files;
  });
}

export function buildProgram(io: Io = defaultIo): Command {
  const env = io.env ?? process.env;
  const program = new Command('gami')
    .description('golden-ami-pipeline: bake, test, scan-gate, approve, distribute and retire golden AMIs, and roll them out to launch templates')
    .version(PACKAGE.version, '-V, --version', 'print the version')
    // Program options only before a command: `gami distribute <pipeline> --version N` has its own --version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('validate')
    .description('validate pipeline files and their components (default: pipelines/*.yaml); a directory means its .yaml files')
    .argument('[paths...]', 'pipeline YAML files or directories')
    .option('--today <date>', 'date to check exception expiry against (YYYY-MM-DD)')
    .action((paths: string[], options: { today?: string }) => {
      const targets = paths.length > 0 ? expandPaths(paths) : defaultPipelineFiles();
      if (targets.length === 0) throw invalid('no pipeline files given and none found in pipelines/');
      let now: Date | undefined;
      if (options.today !== undefined) {
        now = new Date(`${options.today}T00:00:00Z`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(options.today) || Number.isNaN(now.getTime())) {
          throw invalid(`--today: "${options.today}" is not a date in the form YYYY-MM-DD`);
        }
      }
      const results = validatePipelineFiles(targets, { now });
      let errors = 0;
      let warnings = 0;
      for (const result of results) {
        for (const d of result.diagnostics) {
          io.err(formatDiagnostic(d));
          if (d.severity === 'error') errors++;
          else warnings++;
        }
        if (result.pipeline) {
          io.out(`✓ ${result.file}`);
          for (const line of summarizePipeline(result.pipeline, now)) io.out(line);
        }
      }
      const invalidCount = results.filter((r) => !r.pipeline).length;
      io.err(`${results.length} file(s): ${results.length - invalidCount} valid, ${invalidCount} invalid; ${errors} error(s), ${warnings} warning(s)`);
      if (errors > 0) throw new CommanderError(EXIT_INVALID, 'gami.invalid', '');
    });

  program
    .command('schema')
    .description('write the JSON Schemas of pipeline and component files into a pipelines directory, or check them')
    .option('--dir <dir>', 'pipelines directory (must exist)', 'pipelines')
    .option('--check', 'exit 2 if the files there differ from the generated schemas')
    .action((options: { dir: string; check?: boolean }) => {
      if (!existsSync(options.dir)) throw invalid(`--dir ${options.dir}: no such directory`);
      if (!statSync(options.dir).isDirectory()) throw invalid(`--dir ${options.dir}: not a directory`);
      const stale: string[] = [];
      for (const [name, text] of Object.entries(schemaFiles())) {
        const file = join(options.dir, name);
        let current = '';
        try {
          current = readFileSync(file, 'utf8');
        } catch {
          // A missing file counts as stale.
        }
        if (current === text) continue;
        if (options.check) stale.push(file);
        else {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, text);
          io.out(`wrote ${file}`);
        }
      }
      if (stale.length > 0) throw invalid(`stale: ${stale.join(', ')} (run npm run schema)`);
      if (options.check) io.out('schemas are up to date');
    });

  program
    .command('demo')
    .description('run a pipeline offline: local engine, simulated AWS account, live progress (npm start; options after --)')
    .argument('[file]', 'pipeline file (default: pipelines/example.yaml)')
    .option('--speed <n>', `simulated seconds per wall second, more than 0 and at most ${MAX_SPEED} (default: ${DEFAULT_SPEED})`, parseSpeed)
    .option('--state-dir <dir>', 'where the simulated account is kept between runs; created and marked by gami', '.gami')
    .option('--fresh', 'start from a new simulated account (only in a state directory gami created)')
    .option('--yes', 'approve as every configured approver, through the approval pages (default without a terminal)')
    .option('--approve-as <approver...>', 'approve as these approvers through the approval pages; the others decide in the browser')
    .option('--port <n>', 'port of the local approval server (default 8787)')
    .action(async (fileArgument: string | undefined, options: { speed?: number; stateDir: string; fresh?: boolean; yes?: boolean; approveAs?: string[]; port?: string }) => {
      const npmProblem = swallowedByNpm(env, fileArgument);
      if (npmProblem) throw invalid(npmProblem);
      const file = fileArgument ?? 'pipelines/example.yaml';
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw invalid(`--port: "${options.port}" is not a port`);
      const [checked] = validatePipelineFiles([file]);
      if (!checked.pipeline) {
        const problems = checked.diagnostics.filter((d) => d.severity === 'error');
        for (const d of problems) io.err(formatDiagnostic(d));
        throw new CommanderError(EXIT_INVALID, 'gami.invalid', problems.length > 1 ? `${file}: ${problems.length} problems; run gami validate ${file}` : '');
      }
      const interrupt = new AbortController();
      let firstInterrupt: number | undefined;
      const unsubscribe = io.onInterrupt?.(() => {
        // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and npm and tsx
        // also pass it on to their child. Only a press a moment after the first one means "quit now".
        const now = Date.now();
        if (firstInterrupt === undefined) {
          firstInterrupt = now;
          interrupt.abort();
        } else if (now - firstInterrupt > REPEATED_INTERRUPT_MS) {
          io.err('error: interrupted again: quitting without waiting for the clean-up');
          process.exit(130);
        }
      });
      try {
        const { runDemo } = await import('./demo');
        const code = await runDemo({
          pipelineFile: file,
          speed: options.speed ?? DEFAULT_SPEED,
          stateDir: options.stateDir,
          fresh: options.fresh ?? false,
          out: io.out,
          interrupt: interrupt.signal,
          // In a terminal a person decides in the browser; in CI (no terminal) or when asked, the demo approves.
          approveAs: options.approveAs?.length ? options.approveAs : options.yes || !process.stdout.isTTY ? 'all' : 'browser',
          port: port,
          // A live task list in a terminal; plain lines in CI, tests and pipes.
          taskList: process.stdout.isTTY === true,
        });
        if (code !== 0) throw new CommanderError(code, 'gami.runFailed', '');
      } catch (error) {
        if (error instanceof StateDirError) throw invalid(error.message);
        throw error;
      } finally {
        unsubscribe?.();
      }
    });

  addImagesCommand(program, io);
  addApprovalCommands(program, io);
  addDistributeCommand(program, io, DEFAULT_SPEED);
  addRetentionCommand(program, io);
  addStartCommand(program, io);
  addStatusCommand(program, io);
  addExecutionsCommand(program, io);
  addAuditCommand(program, io);
  return program;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and version were printed by commander; `gami` alone prints help and is not an error either.
    if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) return 0;
    // Commander printed its own usage errors once (configureOutput); they exit 1 in commander, 2 here.
    if (error.code.startsWith('commander.')) return EXIT_INVALID;
    if (error.message) io.err(`error: ${error.message}`);
    return error.exitCode;
  }
}

/** The process entry: used by `tsx bin/gami.ts` and the `bin/gami.js` launcher. */
export function cli(argv = process.argv.slice(2)): void {
  // The AWS SDK warns on every start that releases after January 2027 need Node 22 (the README says so);
  // other warnings still print.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (!warning.message.startsWith('NodeVersionSupportWarning')) console.warn(`${warning.name}: ${warning.message}`);
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Not a user error: a bug. The stack helps whoever reports it.
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
