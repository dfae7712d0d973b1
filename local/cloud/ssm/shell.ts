/**
 * The effects of an `AWS-RunShellScript` script on a simulated instance. The script runs in just-bash, a
 * maintained bash interpreter with an in-memory file system and the standard Unix commands (awk, sed, grep,
 * xargs, find, jq, tar, sha256sum, …); the instance's files are loaded into that file system and written back
 * (instance-files.ts). What the interpreter cannot know stays ours, as custom commands: the package managers
 * that change the inventory Inspector scans (package-commands.ts), systemd, cloud-init, sshd and the identity,
 * clock and coreutils commands of system-commands.ts. An unknown command fails as bash fails it (127).
 * docs/local-cloud-software.md ("What the simulated shell understands") lists what is simulated and where
 * the interpreter differs from bash.
 *
 * Time: simulated commands take simulated time (package transactions seconds per package, `sleep` its
 * argument); the caller (SSM) puts the total on the clock. At `timeoutMs` (SSM executionTimeout) the run is
 * stopped where it is, keeping its output so far, as the agent's kill does.
 */
import type { ScriptNode, TransformPlugin } from 'just-bash';
import { justBash } from './just-bash';
import { repositoryForPlatform } from '../packages/repository';
import type { PackageRepository } from '../packages/inventory';
import type { SoftwareState } from '../packages/types';
import { loadInstanceFiles, saveInstanceFiles } from './instance-files';
import { defineSimulatedCommand, EXECUTION_TIMEOUT, Machine } from './machine';
import { packageCommands } from './package-commands';
import { instanceEnvironment, systemCommands, type Traps } from './system-commands';

export interface ShellOptions {
  /** Repository dnf/apt install from; default: the one for the instance's platform. */
  repository?: PackageRepository;
  /** Epoch ms at which the script starts (for dates in tool output). */
  now?: number;
  instanceId?: string;
  /** Stop the script once its simulated duration reaches this (SSM executionTimeout). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Script path shown in bash error messages (the SSM agent's `_script.sh`). */
  scriptPath?: string;
  /** Passes a loop may make before the script counts as a runaway (default 100,000). */
  maxLoopIterations?: number;
}

export interface ShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Simulated wall time of the script, ms. */
  durationMs: number;
  timedOut: boolean;
}

/**
 * Passes a loop may make, and commands a script may run, before the interpreter calls it a runaway (bash would
 * spin until the execution timeout). The interpreter takes ~0.1 ms a command: a runaway costs seconds.
 */
const MAX_LOOP_ITERATIONS = 100_000;
const MAX_COMMANDS = 1_000_000;
/** How the interpreter reports either limit. */
const RUNAWAY = /^bash: [^\n]*too many (commands executed|iterations)[^\n]*\n/m;

/** The working directory the SSM agent runs scripts in. */
const AGENT_WORKING_DIRECTORY = '/usr/bin';

/** A custom command the runner appends after the part of a script before a syntax error, to see it was reached. */
const SYNTAX_CHECKPOINT = '__simulated_syntax_checkpoint';

/**
 * just-bash 3.4.2 reports "unbound variable" under `set -u` for a word that is exactly `"${VAR:-default}"`
 * (also `-`, `:=`, `=`, `:+`, `+`), which bash never does (vercel-labs/just-bash#416, open). Adding an empty
 * literal inside the quotes gives the word the shape the interpreter expands correctly; it means the same.
 */
const nounsetDefaultWorkaround: TransformPlugin = {
  name: 'nounset-default-workaround',
  transform: ({ ast }) => {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(visit);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const record = node as { type?: string; parts?: { type: string; parts?: { type: string; parameter?: string; operation?: { type: string } }[] }[] };
      const quoted = record.type === 'Word' && record.parts?.length === 1 && record.parts[0].type === 'DoubleQuoted' ? record.parts[0].parts : undefined;
      const expansion = quoted?.length === 1 ? quoted[0] : undefined;
      if (
        quoted &&
        expansion?.type === 'ParameterExpansion' &&
        !expansion.parameter?.includes('[') &&
        ['DefaultValue', 'AssignDefault', 'UseAlternative'].includes(expansion.operation?.type ?? '')
      ) {
        quoted.unshift({ type: 'Literal', value: '' } as never);
      }
      Object.values(node).forEach(visit);
    };
    visit(ast);
    return { ast };
  },
};

/** The script up to the command before its first syntax error, and bash's message for that error. */
function splitAtSyntaxError(script: string, scriptPath: string): { runnable: string; error?: string } {
  try {
    justBash().parse(script);
    return { runnable: script };
  } catch (error) {
    const line = (error as { line?: unknown }).line;
    if (typeof line !== 'number') throw error;
    const lines = script.split('\n');
    const message = String((error as Error).message).replace(/^Parse error at \d+:\d+: /, '');
    const text = `${scriptPath}: line ${line}: ${message}\n${scriptPath}: line ${line}: \`${lines[line - 1] ?? ''}'\n`;
    // bash reads and runs one complete command at a time: everything before the broken command runs.
    for (let end = line - 1; end > 0; end--) {
      const prefix = lines.slice(0, end).join('\n');
      try {
        justBash().parse(prefix);
        return { runnable: prefix, error: text };
      } catch {
        // Not a complete command yet: try a shorter prefix.
      }
    }
    return { runnable: '', error: text };
  }
}

/** The script's top-level function definitions, so an EXIT trap handler can call them. */
function functionDefinitions(script: string): string {
  let ast: ScriptNode;
  try {
    ast = justBash().parse(script);
  } catch {
    return '';
  }
  const statements = ast.statements.filter((s) => s.pipelines.length === 1 && s.pipelines[0].commands.length === 1 && s.pipelines[0].commands[0].type === 'FunctionDef');
  return statements.length ? `${justBash().serialize({ ...ast, statements })}\n` : '';
}

/** Shell variables a later run can take over (not `?`, `$` and the like). */
function variables(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)));
}

/** Run an SSM `AWS-RunShellScript` `commands` list (joined into one script, as the agent does) on `software`. */
export async function runShellScript(commands: string | string[], software: SoftwareState, options: ShellOptions = {}): Promise<ShellResult> {
  const script = Array.isArray(commands) ? commands.join('\n') : commands;
  const instanceId = options.instanceId ?? 'i-00000000000000000';
  const scriptPath = options.scriptPath ?? `/var/lib/amazon/ssm/${instanceId}/document/orchestration/command/awsrunShellScript/0.awsrunShellScript/_script.sh`;
  const machine = new Machine({
    software,
    repository: options.repository ?? repositoryForPlatform(software.os.platform),
    instanceId,
    now: options.now ?? Date.now(),
    timeoutMs: options.timeoutMs,
    scriptPath,
  });
  const traps: Traps = {};
  const { runnable, error: syntaxError } = splitAtSyntaxError(script, scriptPath);
  let checkpointReached = false;
  const checkpoint = {
    name: SYNTAX_CHECKPOINT,
    execute: async () => {
      checkpointReached = true;
      return { stdout: '', stderr: '', exitCode: 0 };
    },
  };
  const fs = new (justBash().InMemoryFs)();
  const bash = new (justBash().Bash)({
    fs,
    cwd: AGENT_WORKING_DIRECTORY,
    env: { ...instanceEnvironment(machine), ...options.env },
    processInfo: { pid: 4242, ppid: 1, uid: 0, gid: 0 },
    // Its defense in depth patches JavaScript globals (setTimeout, Function, process, …) while a script runs. The
    // scripts here are the project's components, and the Lambda handlers and the engine run in the same process
    // meanwhile (the run is asynchronous): they must not meet blocked globals.
    defenseInDepth: false,
    executionLimits: { maxCommandCount: MAX_COMMANDS, maxLoopIterations: options.maxLoopIterations ?? MAX_LOOP_ITERATIONS },
    customCommands: [
      ...Object.entries({ ...systemCommands(traps), ...packageCommands(machine) }).map(([name, command]) => defineSimulatedCommand(name, command, machine)),
      // Only a script with a syntax error needs it (the interpreter lists its commands in /bin).
      ...(syntaxError ? [checkpoint] : []),
    ],
  });
  bash.registerTransformPlugin(nounsetDefaultWorkaround);
  const skeleton = await loadInstanceFiles(fs, software);

  const result = await bash.exec(syntaxError ? `${runnable}\n${SYNTAX_CHECKPOINT}` : runnable, { rawScript: true });
  let { stdout, stderr, exitCode } = result;
  if (syntaxError) {
    stderr = stderr.replace(`+ ${SYNTAX_CHECKPOINT}\n`, '');
    if (checkpointReached) {
      stderr += syntaxError;
      exitCode = 2;
    }
  }
  if (!machine.timedOut && traps.exit !== undefined) {
    // The handler sees the script's functions, variables, directory and exit status (`$?`), as in bash.
    const handler = await bash.exec(`${functionDefinitions(runnable)}(exit ${exitCode})\n${traps.exit}`, { rawScript: true, env: variables(result.env), cwd: result.env.PWD });
    stdout += handler.stdout;
    stderr += handler.stderr;
  }
  let timedOut = machine.timedOut;
  if (timedOut) {
    // The interpreter's report of the exhausted budget is ours, not the script's.
    stderr = stderr.replace(new RegExp(`^bash: [^\\n]*${EXECUTION_TIMEOUT}[^\\n]*\\n`, 'm'), '');
  } else if (exitCode === 126 && RUNAWAY.test(stderr) && options.timeoutMs !== undefined) {
    // A loop that did not end in its allowed passes (or a script in MAX_COMMANDS commands) ends no other way:
    // nothing outside the script changes the instance while it runs. bash would spin until the agent kills it.
    stderr = stderr.replace(RUNAWAY, '');
    machine.elapsedMs = options.timeoutMs;
    timedOut = true;
  }
  await saveInstanceFiles(fs, software, skeleton);
  return { exitCode: timedOut ? -1 : exitCode, stdout, stderr, durationMs: machine.elapsedMs, timedOut };
}
