/**
 * The effects of an `AWS-RunShellScript` script on a simulated instance: a small POSIX-shell interpreter whose
 * commands act on the instance's `SoftwareState` (package inventory and tracked files) and print what the real
 * tools print. The full list of understood syntax and commands, and what happens to anything else, is in
 * docs/local-cloud-software.md ("What the simulated shell understands"); the short version:
 *
 * - Syntax (see shell-parse.ts): quoting, variables, `$(…)`, `;` `&&` `||` `|` `!`, `if`, `for`, `while`,
 *   `until`, `case`, functions, `( )`, `{ }`, redirections and here-documents. `set -e`, `set -u`, `set -x`, `set -o pipefail` behave as in bash.
 * - Commands with real effects: dnf/yum, apt-get/apt, rpm, dpkg(-query), sed -i, rm, shred, truncate, find,
 *   tee, cp, mv, touch, mkdir, cat, echo, printf, test/[ ], grep, head, tail, wc, systemctl, exit, sleep, …
 * - A command the simulator does not know *succeeds* with no effect and a note on stderr (so a component that
 *   installs a vendor agent with its own script still bakes), except constructs that clearly fail on a real
 *   instance: `exit N`, `false`, a missing script path, dnf on Ubuntu / apt on Amazon Linux (127), unsupported
 *   shell syntax (exit 2, like a bash syntax error).
 *
 * Time: each command has a simulated duration (package transactions take seconds per package); the caller
 * (SSM) puts the total on the clock and enforces `executionTimeout` through `timeoutMs`.
 */
import { repositoryForPlatform } from '../packages/repository';
import type { PackageRepository } from '../packages/inventory';
import type { SoftwareState } from '../packages/types';
import { parseExpandableText, ShellParser, ShellSyntaxError, type AndOr, type Command, type List, type Pipeline, type Redirect, type SimpleCommand, type Word, type WordPart } from './shell-parse';
import { PACKAGE_COMMANDS } from './shell-packages';
import { FILE_COMMANDS } from './shell-files';
import { hash } from './stable';
import { ArithmeticError, evaluateArithmetic } from './arithmetic';

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
}

export interface ShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Simulated wall time of the script, ms. */
  durationMs: number;
  timedOut: boolean;
  /** Names of commands that were not simulated and were treated as succeeding. */
  notSimulated: string[];
}

export interface Io {
  stdin: string;
  out(text: string): void;
  err(text: string): void;
}

/** A simulated command: returns its exit status. */
export type CommandImpl = (args: string[], io: Io, sh: Shell) => number;

class ExitSignal {
  constructor(readonly status: number) {}
}

class TimeoutSignal {}

/** `return` from a function. */
class ReturnSignal {
  constructor(readonly status: number) {}
}

/** `break` / `continue` out of the innermost loop. */
class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

/** Loops stop here even without an execution timeout (a script waiting on something that never happens). */
const MAX_LOOP_ITERATIONS = 100_000;

/** Directories every Linux image has, so writes below them work without `mkdir`. */
const KNOWN_DIRS = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/etc/apt',
  '/etc/cron.d',
  '/etc/dnf',
  '/etc/profile.d',
  '/etc/ssh',
  '/etc/ssh/sshd_config.d',
  '/etc/sudoers.d',
  '/etc/sysctl.d',
  '/etc/systemd',
  '/etc/systemd/system',
  '/etc/systemd/system/multi-user.target.wants',
  '/etc/yum.repos.d',
  '/home',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/local',
  '/usr/local/bin',
  '/usr/sbin',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/lib/cloud',
  '/var/log',
  '/var/tmp',
];

const DEFAULT_DURATION_MS = 20;

export class Shell {
  readonly software: SoftwareState;
  readonly repository: PackageRepository | undefined;
  readonly vars: Map<string, string>;
  readonly notSimulated: string[] = [];
  readonly now: number;
  readonly instanceId: string;
  readonly scriptPath: string;
  cwd = '/usr/bin';
  /** Positional parameters ($1 …) of the running function. */
  positional: string[] = [];
  functions = new Map<string, Command>();
  functionDepth = 0;
  loopDepth = 0;
  lastStatus = 0;
  elapsedMs = 0;
  errexit = false;
  nounset = false;
  xtrace = false;
  pipefail = false;
  private readonly timeoutMs: number | undefined;

  constructor(software: SoftwareState, options: ShellOptions) {
    this.software = software;
    this.repository = options.repository ?? repositoryForPlatform(software.os.platform);
    this.now = options.now ?? Date.now();
    this.instanceId = options.instanceId ?? 'i-00000000000000000';
    this.scriptPath = options.scriptPath ?? `/var/lib/amazon/ssm/${this.instanceId}/document/orchestration/command/awsrunShellScript/0.awsrunShellScript/_script.sh`;
    this.timeoutMs = options.timeoutMs;
    this.vars = new Map(
      Object.entries({
        HOME: '/root',
        USER: 'root',
        LOGNAME: 'root',
        SHELL: '/bin/bash',
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        PWD: this.cwd,
        HOSTNAME: `ip-10-0-1-${(hash(this.instanceId) % 250) + 2}`,
        ...options.env,
      }),
    );
  }

  /** Copy for a subshell: same software, own variables and options. */
  private subshell(): Shell {
    const child = Object.create(Shell.prototype) as Shell;
    Object.assign(child, this);
    (child as { vars: Map<string, string> }).vars = new Map(this.vars);
    child.functions = new Map(this.functions);
    return child;
  }

  // --------------------------------------------------------------------------------------------- time

  /** Account `ms` of simulated time; stops the script when the execution timeout is reached. */
  spend(ms: number): void {
    this.elapsedMs += ms;
    if (this.timeoutMs !== undefined && this.elapsedMs >= this.timeoutMs) {
      this.elapsedMs = this.timeoutMs;
      throw new TimeoutSignal();
    }
  }

  // --------------------------------------------------------------------------------------------- files

  resolvePath(path: string): string {
    const absolute = path.startsWith('/') ? path : `${this.cwd}/${path}`;
    const out: string[] = [];
    for (const seg of absolute.split('/')) {
      if (!seg || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
    return `/${out.join('/')}`;
  }

  isFile(path: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.software.files, path) && !path.endsWith('/');
  }

  isDir(path: string): boolean {
    if (path === '/') return true;
    if (KNOWN_DIRS.includes(path)) return true;
    if (this.software.os.platform.startsWith('UBUNTU') ? path === '/home/ubuntu' : path === '/home/ec2-user') return true;
    const prefix = `${path}/`;
    return Object.keys(this.software.files).some((key) => key.startsWith(prefix));
  }

  exists(path: string): boolean {
    return this.isFile(path) || this.isDir(path);
  }

  parentOf(path: string): string {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  /** Write (or append to) a tracked file; returns an error message or undefined. */
  writeFile(path: string, content: string, append: boolean): string | undefined {
    if (path === '/dev/null') return undefined;
    if (this.isDir(path)) return `${path}: Is a directory`;
    if (!this.isDir(this.parentOf(path))) return `${path}: No such file or directory`;
    this.software.files[path] = append ? (this.software.files[path] ?? '') + content : content;
    return undefined;
  }

  readFile(path: string): string | undefined {
    if (path === '/dev/null') return '';
    return this.isFile(path) ? this.software.files[path] : undefined;
  }

  mkdir(path: string): void {
    if (!this.isDir(path)) this.software.files[`${path}/`] = '';
  }

  /** Remove a file, or a directory and everything below it. Returns how many entries went away. */
  removeTree(path: string): number {
    let removed = 0;
    const prefix = `${path}/`;
    for (const key of Object.keys(this.software.files)) {
      if (key === path || key.startsWith(prefix)) {
        delete this.software.files[key];
        removed++;
      }
    }
    return removed;
  }

  /** Every path the simulator knows (files, created and implied directories, well-known directories). */
  allPaths(): string[] {
    const paths = new Set<string>(KNOWN_DIRS);
    for (const key of Object.keys(this.software.files)) {
      const path = key.endsWith('/') ? key.slice(0, -1) : key;
      paths.add(path);
      let parent = this.parentOf(path);
      while (parent !== '/' && !paths.has(parent)) {
        paths.add(parent);
        parent = this.parentOf(parent);
      }
    }
    return [...paths];
  }

  /** Pathname expansion of one pattern; no match leaves the pattern as it is (bash's default). */
  glob(pattern: string): string[] {
    const absolute = this.resolvePath(pattern);
    const regex = new RegExp(`^${absolute.split('/').map(globSegmentToRegex).join('/')}$`);
    const matches = this.allPaths()
      .filter((p) => regex.test(p))
      .sort();
    if (matches.length === 0) return [pattern];
    if (pattern.startsWith('/')) return matches;
    const base = this.cwd === '/' ? '/' : `${this.cwd}/`;
    return matches.map((m) => (m.startsWith(base) ? m.slice(base.length) : m));
  }

  // --------------------------------------------------------------------------------------------- expansion

  private lookup(name: string): string | undefined {
    if (name === '?') return String(this.lastStatus);
    if (name === '$') return '4242';
    if (name === '#') return String(this.positional.length);
    if (name === '0') return this.scriptPath;
    if (name === '@' || name === '*') return this.positional.join(' ');
    if (/^[1-9]$/.test(name)) return this.positional[Number(name) - 1];
    if (name === '!' || name === '-') return '';
    return this.vars.get(name);
  }

  private expandPart(part: WordPart): string {
    if (part.kind === 'lit') return part.text;
    if (part.kind === 'cmdsub') return this.commandSubstitution(part.script);
    if (part.kind === 'arith') {
      try {
        return String(evaluateArithmetic(part.expression, (name) => this.lookup(name)));
      } catch (error) {
        if (!(error instanceof ArithmeticError)) throw error;
        this.stderrSink(`${this.scriptPath}: line ${this.currentLine}: ${error.message}\n`);
        throw new ExitSignal(1);
      }
    }
    const value = this.lookup(part.name);
    const unsetOrEmpty = value === undefined || (part.op?.startsWith(':') && value === '');
    if (part.op === ':-' || part.op === '-') {
      if (part.op === ':-' ? unsetOrEmpty : value === undefined) return (part.fallback ?? []).map((p) => this.expandPart(p)).join('');
      return value ?? '';
    }
    if (part.op === ':=') {
      if (unsetOrEmpty) {
        const assigned = (part.fallback ?? []).map((p) => this.expandPart(p)).join('');
        this.vars.set(part.name, assigned);
        return assigned;
      }
      return value ?? '';
    }
    if (part.op === ':+') return unsetOrEmpty ? '' : (part.fallback ?? []).map((p) => this.expandPart(p)).join('');
    if (value === undefined && this.nounset) {
      this.stderrSink(`${this.scriptPath}: line ${this.currentLine}: ${part.name}: unbound variable\n`);
      throw new ExitSignal(1);
    }
    return value ?? '';
  }

  private commandSubstitution(script: string): string {
    const child = this.subshell();
    const out: string[] = [];
    const status = child.runScript(script, { stdin: '', out: (t) => out.push(t), err: (t) => this.stderrSink(t) }, true);
    this.elapsedMs = child.elapsedMs;
    this.lastStatus = status;
    return out.join('').replace(/\n+$/, '');
  }

  /** Expand a word into fields: parameters, command substitution, field splitting, pathname expansion. */
  expandWord(word: Word, options: { split?: boolean; glob?: boolean } = {}): string[] {
    const split = options.split ?? true;
    const glob = options.glob ?? true;
    const fields: string[] = [];
    let current = '';
    let hasQuoted = false;
    let started = false;
    let globbable = false;
    const pushField = () => {
      if (started || current || hasQuoted) fields.push(current);
      current = '';
      started = false;
      hasQuoted = false;
    };
    word.parts.forEach((part, index) => {
      let text = this.expandPart(part);
      if (part.kind === 'lit' && !part.quoted && index === 0 && (text === '~' || text.startsWith('~/'))) {
        text = `/root${text.slice(1)}`;
      }
      if (part.quoted) hasQuoted = true;
      if (part.kind === 'lit' && !part.quoted && /[*?[]/.test(text)) globbable = true;
      if (part.kind !== 'lit' && !part.quoted && split) {
        const pieces = text.split(/[ \t\n]+/);
        pieces.forEach((piece, i) => {
          if (i > 0) pushField();
          if (piece) {
            current += piece;
            started = true;
          }
        });
        return;
      }
      current += text;
      if (text) started = true;
    });
    pushField();
    if (glob && globbable && fields.length === 1) return this.glob(fields[0]);
    return fields;
  }

  /** Expand to one string (assignments, redirection targets, here-documents). */
  expandToString(word: Word): string {
    return this.expandWord(word, { split: false, glob: false }).join(' ');
  }

  // --------------------------------------------------------------------------------------------- execution

  /** Line of the script the current command is on (bash error messages name it). */
  currentLine = 0;
  private stderrSink: (text: string) => void = () => undefined;

  /** Run a whole script; returns its exit status. */
  runScript(src: string, io: Io, isSubshell = false): number {
    const parser = new ShellParser(src);
    const previousSink = this.stderrSink;
    this.stderrSink = io.err;
    try {
      for (;;) {
        let item: AndOr | undefined;
        try {
          item = parser.next();
        } catch (error) {
          if (!(error instanceof ShellSyntaxError)) throw error;
          io.err(`${this.scriptPath}: line ${error.line}: ${error.message}\n`);
          this.lastStatus = 2;
          return 2;
        }
        if (!item) return this.lastStatus;
        this.execAndOr(item, io, false);
      }
    } catch (signal) {
      if (signal instanceof ExitSignal && isSubshell) return signal.status;
      throw signal;
    } finally {
      this.stderrSink = previousSink;
    }
  }

  private execList(list: List, io: Io, suppressed: boolean): number {
    let status = 0;
    for (const item of list.items) status = this.execAndOr(item, io, suppressed);
    return status;
  }

  private execAndOr(node: AndOr, io: Io, suppressed: boolean): number {
    const last = node.rest.length;
    let status = this.execPipeline(node.first, io, suppressed || last > 0);
    node.rest.forEach(({ op, pipeline }, i) => {
      if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) {
        status = this.execPipeline(pipeline, io, suppressed || i < last - 1);
      }
    });
    this.lastStatus = status;
    return status;
  }

  private execPipeline(node: Pipeline, io: Io, suppressed: boolean): number {
    let input = io.stdin;
    const statuses: number[] = [];
    node.commands.forEach((command, i) => {
      const isLast = i === node.commands.length - 1;
      const captured: string[] = [];
      const stageIo: Io = {
        stdin: input,
        out: isLast ? io.out : (t) => captured.push(t),
        err: io.err,
      };
      statuses.push(this.execCommand(command, stageIo, suppressed || node.negated || !isLast));
      input = captured.join('');
    });
    let status = statuses[statuses.length - 1];
    if (this.pipefail) status = [...statuses].reverse().find((s) => s !== 0) ?? 0;
    if (node.negated) status = status === 0 ? 1 : 0;
    this.lastStatus = status;
    if (status !== 0 && this.errexit && !suppressed && !node.negated) throw new ExitSignal(status);
    return status;
  }

  /**
   * Run a for/while loop: `iterate` calls `pass` once per iteration; `break` in the body ends the loop,
   * `continue` ends the pass. The loop's status is its last completed body's.
   */
  private loop(iterate: (pass: (body: List, io: Io, suppressed: boolean) => 'break' | 'next') => void): number {
    let status = 0;
    this.loopDepth++;
    try {
      iterate((body, io, suppressed) => {
        try {
          status = this.execList(body, io, suppressed);
          return 'next';
        } catch (signal) {
          if (!(signal instanceof LoopSignal)) throw signal;
          return signal.kind === 'break' ? 'break' : 'next';
        }
      });
    } finally {
      this.loopDepth--;
    }
    return status;
  }

  private execCommand(command: Command, io: Io, suppressed: boolean): number {
    switch (command.type) {
      case 'simple':
        return this.execSimple(command, io);
      case 'if':
        return this.withRedirects(command.redirects, io, (rio) => {
          for (const branch of command.branches) {
            if (this.execList(branch.condition, rio, true) === 0) return this.execList(branch.body, rio, suppressed);
          }
          return command.elseBody ? this.execList(command.elseBody, rio, suppressed) : 0;
        });
      case 'for':
        return this.withRedirects(command.redirects, io, (rio) => {
          const items = command.items === undefined ? [...this.positional] : command.items.flatMap((w) => this.expandWord(w));
          return this.loop((pass) => {
            for (const item of items) {
              this.vars.set(command.variable, item);
              if (pass(command.body, rio, suppressed) === 'break') break;
            }
          });
        });
      case 'while':
        return this.withRedirects(command.redirects, io, (rio) => {
          let stopped = false;
          const status = this.loop((pass) => {
            for (let i = 0; ; i++) {
              if (i >= MAX_LOOP_ITERATIONS) {
                rio.err(`[simulated cloud] loop stopped after ${MAX_LOOP_ITERATIONS} iterations\n`);
                stopped = true;
                return;
              }
              const condition = this.execList(command.condition, rio, true);
              if (command.until ? condition === 0 : condition !== 0) break;
              if (pass(command.body, rio, suppressed) === 'break') break;
            }
          });
          return stopped ? 1 : status;
        });
      case 'case':
        return this.withRedirects(command.redirects, io, (rio) => {
          const subject = this.expandToString(command.subject);
          for (const item of command.items) {
            const matched = item.patterns.some((pattern) => casePattern(this.expandToString(pattern)).test(subject));
            if (matched) return item.body ? this.execList(item.body, rio, suppressed) : 0;
          }
          return 0;
        });
      case 'function':
        this.functions.set(command.name, command.body);
        return 0;
      case 'group':
        return this.withRedirects(command.redirects, io, (rio) => {
          if (!command.subshell) return this.execList(command.body, rio, suppressed);
          const child = this.subshell();
          try {
            return child.execList(command.body, rio, suppressed);
          } catch (signal) {
            if (signal instanceof ExitSignal) return signal.status;
            throw signal;
          } finally {
            this.elapsedMs = child.elapsedMs;
          }
        });
    }
  }

  private execSimple(command: SimpleCommand, io: Io): number {
    this.currentLine = command.line;
    const words = command.words.flatMap((w) => this.expandWord(w));
    const assignments = command.assignments.map(({ name, value }) => [name, this.expandToString(value)] as const);
    if (words.length === 0) {
      for (const [name, value] of assignments) this.vars.set(name, value);
      const status = command.assignments.some((a) => a.value.parts.some((p) => p.kind === 'cmdsub')) ? this.lastStatus : 0;
      // A command with only redirections (`> file`) still creates/truncates its files.
      return this.withRedirects(command.redirects, io, () => status);
    }
    if (this.xtrace) io.err(`+ ${[...assignments.map(([n, v]) => `${n}=${v}`), ...words].join(' ')}\n`);
    const saved = new Map<string, string | undefined>();
    for (const [name, value] of assignments) {
      saved.set(name, this.vars.get(name));
      this.vars.set(name, value);
    }
    try {
      return this.withRedirects(command.redirects, io, (rio) => this.invoke(words, rio));
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) this.vars.delete(name);
        else this.vars.set(name, value);
      }
    }
  }

  /** Apply redirections around `run`; a failing redirection fails the command with status 1, as in bash. */
  private withRedirects(redirects: Redirect[], io: Io, run: (io: Io) => number): number {
    if (redirects.length === 0) return run(io);
    let stdin = io.stdin;
    type Sink = { kind: 'io'; fd: 1 | 2 } | { kind: 'file'; path: string } | { kind: 'null' };
    const sinks: Record<number, Sink> = { 1: { kind: 'io', fd: 1 }, 2: { kind: 'io', fd: 2 } };
    const buffers = new Map<string, string>();
    const openFile = (path: string, append: boolean): Sink | undefined => {
      if (path === '/dev/null') return { kind: 'null' };
      if (path === '/dev/stdout') return { kind: 'io', fd: 1 };
      if (path === '/dev/stderr') return { kind: 'io', fd: 2 };
      const error = this.writeFile(path, append ? '' : '', append);
      if (error) {
        io.err(`${this.scriptPath}: line ${this.currentLine}: ${error}\n`);
        return undefined;
      }
      if (!buffers.has(path)) buffers.set(path, '');
      return { kind: 'file', path };
    };
    for (const r of redirects) {
      if (r.op === '<<') {
        stdin = r.expand ? parseExpandableText(r.body).map((p) => this.expandPart(p)).join('') : r.body;
      } else if (r.op === '<') {
        const path = this.resolvePath(this.expandToString(r.target));
        const content = this.readFile(path);
        if (content === undefined) {
          io.err(`${this.scriptPath}: line ${this.currentLine}: ${path}: No such file or directory\n`);
          return 1;
        }
        stdin = content;
      } else if (r.op === '>&') {
        sinks[r.fd] = sinks[r.toFd] ?? { kind: 'io', fd: r.toFd === 2 ? 2 : 1 };
      } else {
        const path = this.resolvePath(this.expandToString(r.target));
        const sink = openFile(path, r.op === '>>' || r.op === '&>>');
        if (!sink) return 1;
        if (r.op === '&>' || r.op === '&>>') {
          sinks[1] = sink;
          sinks[2] = sink;
        } else {
          sinks[r.fd] = sink;
        }
      }
    }
    const write = (sink: Sink | undefined, text: string) => {
      if (!sink || sink.kind === 'null') return;
      if (sink.kind === 'io') (sink.fd === 2 ? io.err : io.out)(text);
      else buffers.set(sink.path, (buffers.get(sink.path) ?? '') + text);
    };
    try {
      return run({ stdin, out: (t) => write(sinks[1], t), err: (t) => write(sinks[2], t) });
    } finally {
      for (const [path, text] of buffers) {
        const appendMode = redirects.some((r) => (r.op === '>>' || r.op === '&>>') && this.resolvePath(this.expandToString(r.target)) === path);
        if (appendMode) this.software.files[path] = (this.software.files[path] ?? '') + text;
        else this.software.files[path] = text;
      }
    }
  }

  /** Run a command by name (after wrappers such as sudo/env are stripped). */
  invoke(words: string[], io: Io): number {
    const [name, ...args] = words;
    this.spend(DEFAULT_DURATION_MS);
    const wrapped = this.unwrap(name, args);
    if (wrapped) return wrapped.length === 0 ? 0 : this.invoke(wrapped, io);
    const fn = this.functions.get(name);
    if (fn) return this.callFunction(fn, args, io);
    const impl = BUILTINS[name] ?? FILE_COMMANDS[name] ?? PACKAGE_COMMANDS[name];
    if (impl) return impl(args, io, this);
    if (name.includes('/')) {
      const path = this.resolvePath(name);
      const script = this.readFile(path);
      if (script === undefined) {
        io.err(`${this.scriptPath}: line ${this.currentLine}: ${name}: No such file or directory\n`);
        return 127;
      }
      return this.runChildScript(script, io);
    }
    this.notSimulated.push(name);
    this.spend(80);
    io.err(`[simulated cloud] '${[name, ...args].join(' ')}' is not simulated; treated as succeeding with no effect\n`);
    return 0;
  }

  private callFunction(body: Command, args: string[], io: Io): number {
    const saved = this.positional;
    this.positional = args;
    this.functionDepth++;
    try {
      return this.execCommand(body, io, false);
    } catch (signal) {
      if (signal instanceof ReturnSignal) return signal.status;
      throw signal;
    } finally {
      this.functionDepth--;
      this.positional = saved;
    }
  }

  /** Run script text in a child shell (bash -c, sh file.sh); `exit` there ends only the child. */
  runChildScript(script: string, io: Io): number {
    const child = this.subshell();
    child.errexit = false;
    child.xtrace = false;
    try {
      return child.runScript(script, io, true);
    } finally {
      this.elapsedMs = child.elapsedMs;
    }
  }

  /** Wrapper commands: the words to run instead, or undefined when `name` is no wrapper. */
  private unwrap(name: string, args: string[]): string[] | undefined {
    if (name === 'sudo') {
      let i = 0;
      while (i < args.length && args[i].startsWith('-')) i += args[i] === '-u' || args[i] === '-g' ? 2 : 1;
      return args.slice(i);
    }
    if (name === 'env') {
      let i = 0;
      while (i < args.length && (args[i].startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]))) i++;
      return args.slice(i);
    }
    if (name === 'command' || name === 'nohup' || name === 'time' || name === 'exec' || name === 'stdbuf') {
      let i = 0;
      while (i < args.length && args[i].startsWith('-')) i++;
      return args.slice(i);
    }
    if (name === 'timeout') {
      let i = 0;
      while (i < args.length && args[i].startsWith('-')) i++;
      return args.slice(i + 1);
    }
    return undefined;
  }

  setOptions(args: string[], io: Io): number {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (arg === '-o' || arg === '+o') {
        const on = arg === '-o';
        const option = args[++i];
        if (option === 'errexit') this.errexit = on;
        else if (option === 'nounset') this.nounset = on;
        else if (option === 'xtrace') this.xtrace = on;
        else if (option === 'pipefail') this.pipefail = on;
        else if (option !== undefined) {
          io.err(`${this.scriptPath}: line ${this.currentLine}: set: ${option}: invalid option name\n`);
          return 2;
        }
        continue;
      }
      if (/^[-+][a-zA-Z]+$/.test(arg)) {
        const on = arg[0] === '-';
        for (const flag of arg.slice(1)) {
          if (flag === 'e') this.errexit = on;
          else if (flag === 'u') this.nounset = on;
          else if (flag === 'x') this.xtrace = on;
          // -v, -f, -h … do not change what the simulator does.
        }
      }
    }
    return 0;
  }
}

function globSegmentToRegex(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out;
}

/** A `case` pattern (shell glob over the whole word, `/` included) as a regular expression. */
function casePattern(pattern: string): RegExp {
  return new RegExp(`^${globSegmentToRegex(pattern).replace(/\[\^\/\]\*/g, '.*').replace(/\[\^\/\]/g, '.')}$`, 's');
}

// ------------------------------------------------------------------------------------------------- builtins

function evalTest(args: string[], sh: Shell): boolean | string {
  if (args.length === 0) return false;
  if (args[0] === '!') {
    const inner = evalTest(args.slice(1), sh);
    return typeof inner === 'string' ? inner : !inner;
  }
  const aIndex = args.indexOf('-a');
  if (aIndex > 0) {
    const left = evalTest(args.slice(0, aIndex), sh);
    const right = evalTest(args.slice(aIndex + 1), sh);
    if (typeof left === 'string') return left;
    if (typeof right === 'string') return right;
    return left && right;
  }
  const oIndex = args.indexOf('-o');
  if (oIndex > 0) {
    const left = evalTest(args.slice(0, oIndex), sh);
    const right = evalTest(args.slice(oIndex + 1), sh);
    if (typeof left === 'string') return left;
    if (typeof right === 'string') return right;
    return left || right;
  }
  if (args.length === 1) return args[0] !== '';
  if (args.length === 2) {
    const [op, operand] = args;
    const path = sh.resolvePath(operand);
    switch (op) {
      case '-e':
      case '-a':
        return sh.exists(path);
      case '-f':
        return sh.isFile(path);
      case '-d':
        return sh.isDir(path);
      case '-s':
        return sh.isFile(path) && (sh.readFile(path) ?? '').length > 0;
      case '-r':
      case '-w':
        return sh.exists(path);
      case '-x':
        return sh.isFile(path) || /^\/(usr\/)?s?bin\//.test(path);
      case '-L':
      case '-h':
        return false;
      case '-z':
        return operand === '';
      case '-n':
        return operand !== '';
      default:
        return `${op}: unary operator expected`;
    }
  }
  if (args.length === 3) {
    const [a, op, b] = args;
    const num = (s: string) => (/^-?\d+$/.test(s.trim()) ? Number(s) : NaN);
    switch (op) {
      case '=':
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '-eq':
      case '-ne':
      case '-lt':
      case '-le':
      case '-gt':
      case '-ge': {
        const x = num(a);
        const y = num(b);
        if (Number.isNaN(x)) return `${a}: integer expression expected`;
        if (Number.isNaN(y)) return `${b}: integer expression expected`;
        return { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y }[op];
      }
      default:
        return `${op}: binary operator expected`;
    }
  }
  return 'too many arguments';
}

function testCommand(name: string): CommandImpl {
  return (args, io, sh) => {
    let operands = args;
    if (name === '[' || name === '[[') {
      const close = name === '[' ? ']' : ']]';
      if (operands[operands.length - 1] !== close) {
        io.err(`${sh.scriptPath}: line ${sh.currentLine}: ${name}: missing \`${close}'\n`);
        return 2;
      }
      operands = operands.slice(0, -1);
    }
    const result = evalTest(operands, sh);
    if (typeof result === 'string') {
      io.err(`${sh.scriptPath}: line ${sh.currentLine}: ${name}: ${result}\n`);
      return 2;
    }
    return result ? 0 : 1;
  };
}

function echoEscapes(text: string): string {
  return text.replace(/\\(n|t|\\|c)/g, (_, c: string) => ({ n: '\n', t: '\t', '\\': '\\', c: '' })[c] ?? c);
}

const BUILTINS: Record<string, CommandImpl> = {
  ':': () => 0,
  true: () => 0,
  false: () => 1,
  exit: (args, _io, sh) => {
    const status = args.length ? Number(args[0]) & 255 : sh.lastStatus;
    throw new ExitSignal(Number.isNaN(status) ? 2 : status);
  },
  return: (args, io, sh) => {
    const status = args.length ? Number(args[0]) & 255 : sh.lastStatus;
    if (sh.functionDepth === 0) {
      io.err(`${sh.scriptPath}: line ${sh.currentLine}: return: can only \`return' from a function or sourced script\n`);
      return 1;
    }
    throw new ReturnSignal(Number.isNaN(status) ? 2 : status);
  },
  break: (_args, _io, sh) => {
    if (sh.loopDepth === 0) return 0;
    throw new LoopSignal('break');
  },
  continue: (_args, _io, sh) => {
    if (sh.loopDepth === 0) return 0;
    throw new LoopSignal('continue');
  },
  set: (args, io, sh) => sh.setOptions(args, io),
  export: (args, _io, sh) => {
    for (const arg of args) {
      if (arg.startsWith('-')) continue;
      const eq = arg.indexOf('=');
      if (eq > 0) sh.vars.set(arg.slice(0, eq), arg.slice(eq + 1));
    }
    return 0;
  },
  unset: (args, _io, sh) => {
    for (const arg of args) if (!arg.startsWith('-')) sh.vars.delete(arg);
    return 0;
  },
  readonly: (args, io, sh) => BUILTINS.export(args, io, sh),
  local: (args, io, sh) => BUILTINS.export(args, io, sh),
  cd: (args, io, sh) => {
    const target = sh.resolvePath(args[0] ?? '/root');
    if (!sh.isDir(target)) {
      io.err(`${sh.scriptPath}: line ${sh.currentLine}: cd: ${args[0]}: No such file or directory\n`);
      return 1;
    }
    sh.cwd = target;
    sh.vars.set('PWD', target);
    return 0;
  },
  pwd: (_args, io, sh) => {
    io.out(`${sh.cwd}\n`);
    return 0;
  },
  echo: (args, io) => {
    let newline = true;
    let escapes = false;
    let i = 0;
    for (; i < args.length && /^-[neE]+$/.test(args[i]); i++) {
      if (args[i].includes('n')) newline = false;
      if (args[i].includes('e')) escapes = true;
    }
    const text = args.slice(i).join(' ');
    io.out((escapes ? echoEscapes(text) : text) + (newline ? '\n' : ''));
    return 0;
  },
  printf: (args, io) => {
    if (args.length === 0) return 2;
    const [format, ...values] = args;
    let v = 0;
    let out = '';
    do {
      out += format.replace(/%([sdq%])|\\(n|t|\\)/g, (m, spec: string | undefined, esc: string | undefined) => {
        if (esc) return { n: '\n', t: '\t', '\\': '\\' }[esc] ?? m;
        if (spec === '%') return '%';
        const value = values[v++] ?? '';
        return spec === 'd' ? String(Number(value) || 0) : value;
      });
    } while (v < values.length && /%[sdq]/.test(format));
    io.out(out);
    return 0;
  },
  test: testCommand('test'),
  '[': testCommand('['),
  '[[': testCommand('[['),
  sleep: (args, _io, sh) => {
    const seconds = args.reduce((sum, a) => {
      const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
      if (!m) return sum;
      const factor = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1;
      return sum + Number(m[1]) * factor;
    }, 0);
    sh.spend(Math.round(seconds * 1000));
    return 0;
  },
  bash: (args, io, sh) => shellCommand(args, io, sh, 'bash'),
  sh: (args, io, sh) => shellCommand(args, io, sh, 'sh'),
  source: (args, io, sh) => {
    const path = sh.resolvePath(args[0] ?? '');
    const script = sh.readFile(path);
    if (script === undefined) {
      io.err(`${sh.scriptPath}: line ${sh.currentLine}: ${args[0]}: No such file or directory\n`);
      return 1;
    }
    return sh.runScript(script, io);
  },
  '.': (args, io, sh) => BUILTINS.source(args, io, sh),
  history: () => 0,
  sync: () => 0,
  whoami: (_args, io) => {
    io.out('root\n');
    return 0;
  },
  id: (args, io) => {
    io.out(args.includes('-u') ? '0\n' : 'uid=0(root) gid=0(root) groups=0(root)\n');
    return 0;
  },
  hostname: (_args, io, sh) => {
    io.out(`${sh.vars.get('HOSTNAME')}\n`);
    return 0;
  },
  uname: (args, io, sh) => {
    const kernel = sh.software.packages.kernel;
    const release = kernel ? `${kernel.version}-${kernel.release}.${kernel.arch}` : '5.15.0-1028-aws';
    io.out(args.includes('-r') ? `${release}\n` : args.includes('-m') ? `${kernel?.arch ?? 'x86_64'}\n` : 'Linux\n');
    return 0;
  },
  date: (args, io, sh) => {
    const d = new Date(sh.now + sh.elapsedMs);
    io.out(args.some((a) => a.startsWith('+%s')) ? `${Math.floor(d.getTime() / 1000)}\n` : args.some((a) => a.startsWith('+')) ? `${d.toISOString()}\n` : `${d.toUTCString()}\n`);
    return 0;
  },
};

function shellCommand(args: string[], io: Io, sh: Shell, name: string): number {
  const flags = args.filter((a) => /^-[a-z]+$/.test(a) && a !== '-c');
  const cIndex = args.indexOf('-c');
  const child = (script: string) => {
    const status = sh.runChildScript(flags.some((f) => f.includes('e')) ? `set -e\n${script}` : script, io);
    return status;
  };
  if (cIndex >= 0) return child(args[cIndex + 1] ?? '');
  const file = args.find((a) => !a.startsWith('-'));
  if (!file) return child(io.stdin);
  const script = sh.readFile(sh.resolvePath(file));
  if (script === undefined) {
    io.err(`${name}: ${file}: No such file or directory\n`);
    return 127;
  }
  return child(script);
}

/** Run an SSM `AWS-RunShellScript` `commands` list (joined into one script, as the agent does) on `software`. */
export function runShellScript(commands: string | string[], software: SoftwareState, options: ShellOptions = {}): ShellResult {
  const script = Array.isArray(commands) ? commands.join('\n') : commands;
  const shell = new Shell(software, options);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Io = { stdin: '', out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
  let exitCode: number;
  let timedOut = false;
  try {
    exitCode = shell.runScript(script, io);
  } catch (signal) {
    if (signal instanceof ExitSignal) exitCode = signal.status;
    else if (signal instanceof TimeoutSignal) {
      timedOut = true;
      exitCode = -1;
    } else throw signal;
  }
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join(''), durationMs: shell.elapsedMs, timedOut, notSimulated: shell.notSimulated };
}
