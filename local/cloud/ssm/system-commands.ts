/**
 * Commands of a Linux instance the bash interpreter (just-bash) does not have, or has answering as its own
 * sandbox rather than as the instance: identity (`uname`, `hostname`, `id`, `whoami`), the simulated clock
 * (`date`, `sleep`), `sshd -t`/`-T`, the coreutils it lacks (`mktemp`, `shred`, `truncate`, `install`,
 * `chown`/`chgrp`, `sync`), SELinux/ext attribute tools that change nothing here (`chattr`, `restorecon`),
 * the wrappers that run another command (`sudo`, `nohup`, `stdbuf`) and `trap`.
 */
import type { Invocation, Machine, SimulatedCommand } from './machine';
import { shellQuote } from './machine';
import { hash } from './stable';

/** `-rf`, `--force`, `-s 0`, `-s0`, `--size=0`; `--` ends options. */
function parseOptions(args: string[], withValue: string[] = []): { flags: Set<string>; values: Map<string, string>; operands: string[] } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) operands.push(arg);
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (withValue.includes(arg.slice(2))) values.set(arg.slice(2), args[++i] ?? '');
      else flags.add(arg.slice(2));
    } else {
      for (let k = 1; k < arg.length; k++) {
        if (withValue.includes(arg[k])) {
          values.set(arg[k], arg.slice(k + 1) || (args[++i] ?? ''));
          break;
        }
        flags.add(arg[k]);
      }
    }
  }
  return { flags, values, operands };
}

function resolve(call: Invocation, path: string): string {
  return call.fs.resolvePath(call.cwd, path);
}

async function isFile(call: Invocation, path: string): Promise<boolean> {
  try {
    return (await call.fs.stat(path)).isFile;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------- identity

function hostnameOf(machine: Machine): string {
  return `ip-10-0-1-${(hash(machine.instanceId) % 250) + 2}`;
}

const uname: SimulatedCommand = ({ args, out }, machine) => {
  const kernel = machine.software.packages.kernel;
  const release = kernel ? `${kernel.version}-${kernel.release}.${kernel.arch}` : '5.15.0-1028-aws';
  const arch = kernel?.arch ?? 'x86_64';
  const flags = parseOptions(args).flags;
  const all = flags.has('a') || flags.has('all');
  const fields: string[] = [];
  if (all || flags.has('s') || flags.has('kernel-name') || flags.size === 0) fields.push('Linux');
  if (all || flags.has('n') || flags.has('nodename')) fields.push(hostnameOf(machine));
  if (all || flags.has('r') || flags.has('kernel-release')) fields.push(release);
  if (all || flags.has('v') || flags.has('kernel-version')) fields.push('#1 SMP');
  if (all || flags.has('m') || flags.has('machine') || flags.has('p') || flags.has('i')) fields.push(arch);
  if (all || flags.has('o') || flags.has('operating-system')) fields.push('GNU/Linux');
  out(`${fields.join(' ')}\n`);
  return 0;
};

const hostname: SimulatedCommand = ({ out }, machine) => {
  out(`${hostnameOf(machine)}\n`);
  return 0;
};

/** Builders are t3-class instances: 2 vCPUs. */
const nproc: SimulatedCommand = ({ out }) => {
  out('2\n');
  return 0;
};

const whoami: SimulatedCommand = ({ out }) => {
  out('root\n');
  return 0;
};

const id: SimulatedCommand = ({ args, out }) => {
  const { flags } = parseOptions(args);
  const name = flags.has('n');
  if (flags.has('u')) out(name ? 'root\n' : '0\n');
  else if (flags.has('g')) out(name ? 'root\n' : '0\n');
  else if (flags.has('G')) out(name ? 'root\n' : '0\n');
  else out('uid=0(root) gid=0(root) groups=0(root)\n');
  return 0;
};

/** Environment of the SSM agent's shell on the instance (it runs as root). */
export function instanceEnvironment(machine: Machine): Record<string, string> {
  return {
    HOME: '/root',
    USER: 'root',
    LOGNAME: 'root',
    SHELL: '/bin/bash',
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: hostnameOf(machine),
    LANG: 'C.UTF-8',
  };
}

// ------------------------------------------------------------------------------------------------- time

/** `date` at the simulated time: the interpreter's own date, told the time with `-d @epoch`. */
const date: SimulatedCommand = async ({ args, out, err, original }, machine) => {
  const explicit = args.some((a) => a === '-d' || a.startsWith('--date') || a.startsWith('-d') || a === '-r' || a.startsWith('--reference') || a === '-s' || a.startsWith('--set'));
  const result = await original(explicit ? args : ['-d', `@${Math.floor(machine.clock() / 1000)}`, ...args]);
  out(result.stdout);
  err(result.stderr);
  return result.exitCode;
};

/** `sleep` puts its time on the simulated clock (tests never wait). */
const sleep: SimulatedCommand = ({ args, err, spend }) => {
  let seconds = 0;
  for (const arg of args) {
    const m = /^(\d+(?:\.\d+)?|\.\d+)([smhd]?)$/.exec(arg);
    if (!m) {
      err(`sleep: invalid time interval '${arg}'\n`);
      return 1;
    }
    seconds += Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1);
  }
  if (args.length === 0) {
    err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
    return 1;
  }
  spend(Math.round(seconds * 1000));
  return 0;
};

// ------------------------------------------------------------------------------------------------- sshd

/** sshd's configuration as `sshd -T` prints it: first value of each keyword wins, keywords in lower case. */
async function sshdConfig(call: Invocation): Promise<string[] | undefined> {
  if (!(await isFile(call, '/etc/ssh/sshd_config'))) return undefined;
  const seen = new Map<string, string>();
  for (const line of (await call.fs.readFile('/etc/ssh/sshd_config')).split('\n')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s+(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const keyword = m[1].toLowerCase();
    if (keyword === 'match') break;
    if (!seen.has(keyword) && keyword !== 'include') seen.set(keyword, m[2]);
  }
  return [...seen].map(([keyword, value]) => `${keyword} ${value}`);
}

const sshd: SimulatedCommand = async (call, machine) => {
  if (!machine.software.packages['openssh-server']) {
    call.err('bash: sshd: command not found\n');
    return 127;
  }
  const { flags } = parseOptions(call.args, ['f', 'o', 'C']);
  const config = await sshdConfig(call);
  if (!config) {
    call.err('/etc/ssh/sshd_config: No such file or directory\n');
    return 255;
  }
  if (flags.has('T')) call.out(`${config.join('\n')}\n`);
  return 0;
};

// ------------------------------------------------------------------------------------------------- files

const mktemp: SimulatedCommand = async (call, machine) => {
  const { flags, values, operands } = parseOptions(call.args, ['p', 'tmpdir', 't']);
  // Deterministic for a given instance and time, like every id the simulator makes.
  const suffix = hash(`${machine.instanceId}/${machine.clock()}/${call.fs.getAllPaths().length}`).toString(36).padStart(10, 'q').slice(-10);
  const template = operands[0] ?? 'tmp.XXXXXXXXXX';
  const named = template.replace(/X{3,}$/, (x) => suffix.slice(-x.length).padStart(x.length, 'a'));
  const directory = values.get('p') ?? values.get('tmpdir') ?? (template.includes('/') ? undefined : '/tmp');
  const path = resolve(call, directory ? `${directory}/${named}` : named);
  try {
    if (flags.has('d') || flags.has('directory')) await call.fs.mkdir(path);
    else await call.fs.writeFile(path, '');
  } catch {
    call.err(`mktemp: failed to create ${flags.has('d') ? 'directory' : 'file'} via template '${template}': No such file or directory\n`);
    return 1;
  }
  call.out(`${path}\n`);
  return 0;
};

const shred: SimulatedCommand = async (call) => {
  const { flags, operands } = parseOptions(call.args, ['n', 's', 'iterations', 'size']);
  let status = 0;
  for (const operand of operands) {
    const path = resolve(call, operand);
    if (!(await isFile(call, path))) {
      call.err(`shred: ${operand}: failed to open for writing: No such file or directory\n`);
      status = 1;
      continue;
    }
    call.spend(200);
    if (flags.has('u') || flags.has('remove')) await call.fs.rm(path);
    else await call.fs.writeFile(path, flags.has('z') ? '\0'.repeat(Math.min(64, (await call.fs.readFile(path)).length)) : '(shredded)');
  }
  return status;
};

const truncate: SimulatedCommand = async (call) => {
  const { flags, values, operands } = parseOptions(call.args, ['s', 'size']);
  const size = values.get('s') ?? values.get('size');
  if (size === undefined) {
    call.err("truncate: you must specify either '--size' or '--reference'\n");
    return 1;
  }
  let status = 0;
  for (const operand of operands) {
    const path = resolve(call, operand);
    const exists = await isFile(call, path);
    if (!exists && (flags.has('c') || flags.has('no-create'))) continue;
    const n = Number(size.replace(/^[<>+-]/, ''));
    try {
      const content = exists ? await call.fs.readFile(path) : '';
      await call.fs.writeFile(path, n === 0 ? '' : content.slice(0, n));
    } catch {
      call.err(`truncate: cannot open '${operand}' for writing: No such file or directory\n`);
      status = 1;
    }
  }
  return status;
};

/** `install [-m MODE] [-D] SOURCE DEST`, `install -d DIR…`: copy with a mode, as package scripts do. */
const install: SimulatedCommand = async (call) => {
  const { flags, values, operands } = parseOptions(call.args, ['m', 'mode', 'o', 'owner', 'g', 'group', 't', 'target-directory']);
  const mode = values.get('m') ?? values.get('mode');
  const chmod = async (path: string) => {
    if (mode && /^[0-7]+$/.test(mode)) await call.fs.chmod(path, parseInt(mode, 8));
  };
  if (flags.has('d') || flags.has('directory')) {
    for (const operand of operands) {
      await call.fs.mkdir(resolve(call, operand), { recursive: true });
      await chmod(resolve(call, operand));
    }
    return 0;
  }
  const targetDirectory = values.get('t') ?? values.get('target-directory');
  const sources = targetDirectory ? operands : operands.slice(0, -1);
  const target = resolve(call, targetDirectory ?? operands[operands.length - 1] ?? '');
  if (sources.length === 0) {
    call.err("install: missing destination file operand\nTry 'install --help' for more information.\n");
    return 1;
  }
  let status = 0;
  for (const source of sources) {
    const from = resolve(call, source);
    if (!(await isFile(call, from))) {
      call.err(`install: cannot stat '${source}': No such file or directory\n`);
      status = 1;
      continue;
    }
    const intoDirectory = targetDirectory !== undefined || (await call.fs.exists(target).then((e) => e && call.fs.stat(target).then((s) => s.isDirectory)));
    const destination = intoDirectory ? `${target}/${from.slice(from.lastIndexOf('/') + 1)}` : target;
    if (flags.has('D')) await call.fs.mkdir(destination.slice(0, destination.lastIndexOf('/')) || '/', { recursive: true });
    try {
      await call.fs.writeFile(destination, await call.fs.readFileBuffer(from));
      await call.fs.chmod(destination, mode && /^[0-7]+$/.test(mode) ? parseInt(mode, 8) : 0o755);
    } catch {
      call.err(`install: cannot create regular file '${destination}': No such file or directory\n`);
      status = 1;
    }
  }
  return status;
};

/** `realpath`/`readlink -f` without the link check: resolve against the file system. */
const realpath: SimulatedCommand = async (call) => {
  const { flags, operands } = parseOptions(call.args);
  let status = 0;
  for (const operand of operands.length ? operands : ['.']) {
    const path = resolve(call, operand);
    try {
      call.out(`${await call.fs.realpath(path)}\n`);
    } catch {
      if (flags.has('m')) call.out(`${path}\n`);
      else {
        call.err(`realpath: ${operand}: No such file or directory\n`);
        status = 1;
      }
    }
  }
  return status;
};

/** chown/chgrp/chattr/restorecon: ownership, attributes and labels are not simulated; the files must exist. */
function needsExisting(tool: string, skipFirst: boolean): SimulatedCommand {
  return async (call) => {
    const { operands } = parseOptions(call.args, ['reference']);
    let status = 0;
    for (const operand of skipFirst ? operands.slice(1) : operands) {
      if (!(await call.fs.exists(resolve(call, operand)))) {
        call.err(`${tool}: cannot access '${operand}': No such file or directory\n`);
        status = 1;
      }
    }
    return status;
  };
}

// ------------------------------------------------------------------------------------------------- wrappers

/** Run the rest of the words as a command (sudo/nohup/stdbuf: the simulated agent already runs as root). */
function wrapper(optionsWithValue: string[]): SimulatedCommand {
  return async (call) => {
    let i = 0;
    while (i < call.args.length && call.args[i].startsWith('-') && call.args[i] !== '--') i += optionsWithValue.includes(call.args[i]) ? 2 : 1;
    if (call.args[i] === '--') i++;
    const [command, ...args] = call.args.slice(i);
    if (command === undefined) return 0;
    const result = await call.run(shellQuote(command), args);
    call.out(result.stdout);
    call.err(result.stderr);
    return result.exitCode;
  };
}

// ------------------------------------------------------------------------------------------------- xargs

/**
 * just-bash's xargs takes an option's value only as the next word: `-I {}`, `-n 1`. GNU xargs also takes it
 * attached (`-I{}`, `-n1`), the way most scripts write it; split those before handing over to it.
 */
const xargs: SimulatedCommand = async (call) => {
  const args: string[] = [];
  let i = 0;
  for (; i < call.args.length; i++) {
    const arg = call.args[i];
    if (!arg.startsWith('-') || arg === '--') break;
    const attached = /^-([IndPLsE])(.+)$/.exec(arg);
    if (attached) args.push(`-${attached[1]}`, attached[2]);
    else {
      args.push(arg);
      if (/^-[IndPLsE]$/.test(arg) && i + 1 < call.args.length) args.push(call.args[++i]);
    }
  }
  const result = await call.original([...args, ...call.args.slice(i)]);
  call.out(result.stdout);
  call.err(result.stderr);
  return result.exitCode;
};

// ------------------------------------------------------------------------------------------------- trap

/**
 * What `trap` recorded for the shell run: the EXIT handler runs after the script (see shell.ts). Signals
 * never arrive on a simulated instance, so their handlers never run, as on an instance nobody signals.
 */
export interface Traps {
  exit?: string;
}

function trap(traps: Traps): SimulatedCommand {
  return ({ args, out, err }) => {
    if (args.length === 0 || args[0] === '-p') {
      if (traps.exit !== undefined) out(`trap -- ${shellQuote(traps.exit)} EXIT\n`);
      return 0;
    }
    if (args[0] === '-l') {
      out(' 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 9) SIGKILL\t15) SIGTERM\n');
      return 0;
    }
    const [action, ...signals] = args[0] === '--' ? args.slice(1) : args;
    let status = 0;
    for (const signal of signals) {
      const name = signal.toUpperCase().replace(/^SIG/, '');
      if (name === 'EXIT' || name === '0') traps.exit = action === '-' || action === '' ? undefined : action;
      else if (name === 'ERR' || name === 'DEBUG' || name === 'RETURN') {
        err(`[simulated instance] trap on ${name} is not run by the simulated shell\n`);
      } else if (!/^(HUP|INT|QUIT|TERM|KILL|USR1|USR2|PIPE|ALRM|CHLD|[0-9]+)$/.test(name)) {
        err(`bash: trap: ${signal}: invalid signal specification\n`);
        status = 1;
      }
    }
    return status;
  };
}

/** The system commands of an instance, with `traps` receiving what `trap` records. */
export function systemCommands(traps: Traps): Record<string, SimulatedCommand> {
  return {
    uname,
    hostname,
    whoami,
    id,
    nproc,
    date,
    sleep,
    sshd,
    mktemp,
    shred,
    truncate,
    install,
    chown: needsExisting('chown', true),
    chgrp: needsExisting('chgrp', true),
    chattr: needsExisting('chattr', true),
    restorecon: needsExisting('restorecon', false),
    realpath,
    sync: () => 0,
    // Builtins of bash that just-bash lacks; file creation masks and resource limits are not simulated.
    umask: ({ args, out }) => {
      if (args.length === 0) out('0022\n');
      return 0;
    },
    ulimit: ({ args, out }) => {
      if (args.length === 0 || args.every((a) => a.startsWith('-'))) out(args.includes('-n') ? '1024\n' : 'unlimited\n');
      return 0;
    },
    sudo: wrapper(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U']),
    nohup: wrapper([]),
    stdbuf: wrapper(['-i', '-o', '-e']),
    trap: trap(traps),
    xargs,
  };
}
