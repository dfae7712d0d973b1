#!/usr/bin/env node
/**
 * gami — the golden-ami-pipeline command line.
 *   gami validate [files...]   check pipeline files; every problem as file:line:col path: message (exit 2)
 *   gami schema [--check]      write (or check) pipelines/schema.json and pipelines/components/schema.json
 *   gami demo                  run a pipeline's whole lifecycle offline (npm start)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { schemaFiles } from '../pipeline/schema';
import { summarizePipeline } from '../pipeline/summary';
import { formatDiagnostic, validatePipelineFiles } from '../pipeline/validate';

/** Exit code for invalid input (bad config, bad arguments). */
export const EXIT_INVALID = 2;

export function defaultPipelineFiles(dir = 'pipelines'): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export function buildProgram(io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) }): Command {
  const program = new Command('gami')
    .description('golden-ami-pipeline: bake, test, gate, approve, distribute and retire golden AMIs')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('validate')
    .description('validate pipeline files and their components (default: pipelines/*.yaml)')
    .argument('[files...]', 'pipeline YAML files')
    .option('--today <date>', 'date to check exception expiry against (YYYY-MM-DD)')
    .action((files: string[], options: { today?: string }) => {
      const targets = files.length > 0 ? files : defaultPipelineFiles();
      if (targets.length === 0) throw new CommanderError(EXIT_INVALID, 'gami.noFiles', 'no pipeline files given and none found in pipelines/');
      let now: Date | undefined;
      if (options.today !== undefined) {
        now = new Date(`${options.today}T00:00:00Z`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(options.today) || Number.isNaN(now.getTime())) {
          throw new CommanderError(EXIT_INVALID, 'gami.badDate', `--today: "${options.today}" is not a date in the form YYYY-MM-DD`);
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
      const invalid = results.filter((r) => !r.pipeline).length;
      io.err(`${results.length} file(s): ${results.length - invalid} valid, ${invalid} invalid; ${errors} error(s), ${warnings} warning(s)`);
      if (errors > 0) throw new CommanderError(EXIT_INVALID, 'gami.invalid', '');
    });

  program
    .command('schema')
    .description('write the JSON Schemas of pipeline and component files into a pipelines directory, or check them')
    .option('--dir <dir>', 'pipelines directory', 'pipelines')
    .option('--check', 'exit 2 if the files there differ from the generated schemas')
    .action((options: { dir: string; check?: boolean }) => {
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
          writeFileSync(file, text);
          io.out(`wrote ${file}`);
        }
      }
      if (stale.length > 0) throw new CommanderError(EXIT_INVALID, 'gami.staleSchema', `stale: ${stale.join(', ')} (run npm run schema)`);
      if (options.check) io.out('schemas are up to date');
    });

  program
    .command('demo')
    .description('run a pipeline offline: local engine, simulated AWS account, live progress (npm start)')
    .argument('[file]', 'pipeline file', 'pipelines/example.yaml')
    .option('--speed <n>', 'simulated seconds per wall second', '120')
    .option('--state-dir <dir>', 'where the simulated account is kept between runs', '.gami')
    .option('--fresh', 'start from a new simulated account')
    .action(async (file: string, options: { speed: string; stateDir: string; fresh?: boolean }) => {
      const speed = Number(options.speed);
      if (!(speed > 0 && speed <= 100000)) throw new CommanderError(EXIT_INVALID, 'gami.badSpeed', `--speed: "${options.speed}" is not a number between 0 and 100000`);
      const { runDemo } = await import('./demo');
      const code = await runDemo({ pipelineFile: file, speed, stateDir: options.stateDir, fresh: options.fresh ?? false, out: io.out });
      if (code !== 0) throw new CommanderError(code, 'gami.runFailed', '');
    });

  return program;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[], io?: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.message) (io?.err ?? console.error)(error.message.startsWith('error:') ? error.message : `error: ${error.message}`);
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
      // Commander's own usage errors exit 1; bad arguments are invalid input here (2). Ours carry their code.
      return error.code.startsWith('commander.') ? EXIT_INVALID : error.exitCode;
    }
    throw error;
  }
}

if (require.main === module) {
  // The AWS SDK warns on every start that releases after January 2027 need Node 22 (the README says so);
  // other warnings still print.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (!warning.message.startsWith('NodeVersionSupportWarning')) console.warn(`${warning.name}: ${warning.message}`);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
