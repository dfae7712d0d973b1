/**
 * What the simulated commands of an instance share during one script run: the instance's software (package
 * inventory), the platform's repository, the simulated time the script has spent, and the state real daemons
 * would keep (units stopped, dnf metadata fetched). The commands themselves are in package-commands.ts and
 * system-commands.ts; shell.ts hands them to the bash interpreter as custom commands.
 */
import type { Command, IFileSystem, ResolvedCommandContext } from 'just-bash';
import { justBash } from './just-bash';
import type { PackageRepository } from '../packages/inventory';
import type { SoftwareState } from '../packages/types';

/** Simulated time every simulated command takes at least. */
const COMMAND_MS = 20;

/** One call of a simulated command: its arguments, standard streams, and the interpreter's view of the instance. */
export interface Invocation {
  name: string;
  args: string[];
  stdin: string;
  cwd: string;
  env: Map<string, string>;
  /** The instance's file system (the interpreter's). */
  fs: IFileSystem;
  out(text: string): void;
  err(text: string): void;
  /** Put `ms` of simulated time on the script; ends the script when the execution timeout is reached. */
  spend(ms: number): void;
  /** Run a command line (or, with `args`, one command with exactly these arguments) in the script's shell. */
  run(command: string, args?: string[]): Promise<CommandResult>;
  /** Run the interpreter's own command of this name (the one this simulated command replaces). */
  original(args: string[]): Promise<CommandResult>;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A simulated command: returns its exit status. */
export type SimulatedCommand = (call: Invocation, machine: Machine) => number | Promise<number>;

export interface MachineOptions {
  software: SoftwareState;
  repository: PackageRepository | undefined;
  instanceId: string;
  /** Epoch ms at which the script starts. */
  now: number;
  /** Stop the script once its simulated duration reaches this (SSM executionTimeout). */
  timeoutMs?: number;
  /** Script path bash names in its messages (the SSM agent's `_script.sh`). */
  scriptPath: string;
}

export class Machine {
  readonly software: SoftwareState;
  readonly repository: PackageRepository | undefined;
  readonly instanceId: string;
  readonly now: number;
  readonly scriptPath: string;
  elapsedMs = 0;
  /** Set once the execution timeout was reached: the run is being stopped. */
  timedOut = false;
  /** Units stopped by this run (units of installed packages run from boot). */
  readonly stoppedUnits = new Set<string>();
  /** dnf fetched the repository metadata in this run. */
  dnfMetadataFetched = false;
  private readonly timeoutMs: number | undefined;

  constructor(options: MachineOptions) {
    this.software = options.software;
    this.repository = options.repository;
    this.instanceId = options.instanceId;
    this.now = options.now;
    this.scriptPath = options.scriptPath;
    this.timeoutMs = options.timeoutMs;
  }

  get isUbuntu(): boolean {
    return this.software.os.platform.startsWith('UBUNTU');
  }

  get isAmazonLinux(): boolean {
    return this.software.os.platform.startsWith('AMAZON_LINUX');
  }

  /** Simulated wall-clock time now (epoch ms). */
  clock(): number {
    return this.now + this.elapsedMs;
  }

  /**
   * Account `ms` of simulated time. At the execution timeout the script is stopped where it is, keeping the
   * output so far, as the SSM agent's kill does: the interpreter ends a run whose budget a command exhausts.
   */
  spend(ms: number, ctx: Pick<ResolvedCommandContext, 'executionScope'>, site: string): void {
    this.elapsedMs += ms;
    if (this.timeoutMs === undefined || this.elapsedMs < this.timeoutMs) return;
    this.elapsedMs = this.timeoutMs;
    this.timedOut = true;
    ctx.executionScope?.consumeLimited(EXECUTION_TIMEOUT, 1, 0, site);
    throw new Error('execution timed out');
  }
}

/** Budget kind whose exhaustion stops a run at the execution timeout (see `Machine.spend`). */
export const EXECUTION_TIMEOUT = 'simulated-execution-timeout';

/** Single-quote a word for the shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A simulated command as a custom command of the interpreter. */
export function defineSimulatedCommand(name: string, command: SimulatedCommand, machine: Machine): Command {
  return justBash().defineCommand(name, async (args, ctx) => {
    let stdout = '';
    let stderr = '';
    const call: Invocation = {
      name,
      args,
      stdin: justBash().decodeBytesToUtf8(ctx.stdin),
      cwd: ctx.cwd,
      env: ctx.env,
      fs: ctx.fs,
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
      spend: (ms) => machine.spend(ms, ctx, name),
      run: async (command, commandArgs) => {
        if (!ctx.exec) throw new Error(`${name}: the interpreter offers no exec`);
        return ctx.exec(command, { cwd: ctx.cwd, args: commandArgs, stdin: '' });
      },
      original: async (originalArgs) => {
        if (!ctx.origCommand) throw new Error(`${name}: the interpreter has no command of its own by this name`);
        return ctx.origCommand(originalArgs);
      },
    };
    call.spend(COMMAND_MS);
    const exitCode = await command(call, machine);
    return { stdout, stderr, exitCode };
  });
}
