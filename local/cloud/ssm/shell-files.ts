/**
 * File and text commands of the simulated shell. They act on `SoftwareState.files` (path → content; a key
 * ending in `/` is a directory created by `mkdir`) and print GNU coreutils' messages.
 */
import type { CommandImpl, Io, Shell } from './shell';
import { hash } from './stable';

interface ParsedArgs {
  flags: Set<string>;
  values: Map<string, string>;
  operands: string[];
}

/** GNU-style option parsing: `-rf`, `--force`, `-n 5`, `-n5`, `--lines=5`, `--` ends options. */
function parseArgs(args: string[], withValue: string[] = []): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  let onlyOperands = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (onlyOperands || arg === '-' || !arg.startsWith('-')) {
      operands.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyOperands = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
      else if (withValue.includes(arg.slice(2))) values.set(arg.slice(2), args[++i] ?? '');
      else flags.add(arg.slice(2));
      continue;
    }
    for (let k = 1; k < arg.length; k++) {
      const flag = arg[k];
      if (withValue.includes(flag)) {
        const rest = arg.slice(k + 1);
        values.set(flag, rest || (args[++i] ?? ''));
        break;
      }
      flags.add(flag);
    }
  }
  return { flags, values, operands };
}

/** Convert a POSIX basic (or extended) regular expression to a JavaScript one. */
export function posixRegex(pattern: string, extended: boolean, flags = ''): RegExp {
  const classes: Record<string, string> = {
    '[:space:]': '\\s',
    '[:blank:]': ' \\t',
    '[:digit:]': '0-9',
    '[:alpha:]': 'A-Za-z',
    '[:alnum:]': 'A-Za-z0-9',
    '[:upper:]': 'A-Z',
    '[:lower:]': 'a-z',
    '[:punct:]': '!-\\/:-@\\[-`{-~',
  };
  let source = pattern;
  for (const [posix, js] of Object.entries(classes)) source = source.split(posix).join(js);
  if (!extended) {
    let out = '';
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (c === '\\' && i + 1 < source.length) {
        const next = source[i + 1];
        // In a BRE, \( \) \{ \} \? \+ \| are the operators and the bare characters are literals.
        out += '(){}?+|'.includes(next) ? next : `\\${next}`;
        i++;
      } else if ('(){}?+|'.includes(c)) {
        out += `\\${c}`;
      } else {
        out += c;
      }
    }
    source = out;
  }
  return new RegExp(source, flags);
}

// ------------------------------------------------------------------------------------------------- sed

type SedAddress = { kind: 'regex'; re: RegExp } | { kind: 'line'; n: number } | { kind: 'last' };
type SedCommand =
  | { cmd: 's'; address?: SedAddress; re: RegExp; replacement: string; global: boolean; print: boolean }
  | { cmd: 'd'; address?: SedAddress }
  | { cmd: 'c' | 'a' | 'i'; address?: SedAddress; text: string };

class SedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SedError';
  }
}

function parseSed(script: string, extended: boolean, exprIndex: number): SedCommand[] {
  const commands: SedCommand[] = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new SedError(`sed: -e expression #${exprIndex}, char ${i + 1}: ${message}`);
  };
  const readDelimited = (delimiter: string): string => {
    let out = '';
    while (i < script.length && script[i] !== delimiter) {
      if (script[i] === '\\' && script[i + 1] === delimiter) {
        out += delimiter;
        i += 2;
        continue;
      }
      if (script[i] === '\\' && i + 1 < script.length) {
        out += script.slice(i, i + 2);
        i += 2;
        continue;
      }
      out += script[i++];
    }
    if (i >= script.length) fail(`unterminated \`s' command`);
    i++;
    return out;
  };
  while (i < script.length) {
    while (i < script.length && /[\s;]/.test(script[i])) i++;
    if (i >= script.length) break;
    let address: SedAddress | undefined;
    if (script[i] === '/') {
      i++;
      const re = readDelimited('/');
      let flags = '';
      if (script[i] === 'I') {
        flags = 'i';
        i++;
      }
      address = { kind: 'regex', re: posixRegex(re, extended, flags) };
    } else if (/[0-9]/.test(script[i])) {
      let n = '';
      while (/[0-9]/.test(script[i] ?? '')) n += script[i++];
      address = { kind: 'line', n: Number(n) };
    } else if (script[i] === '$') {
      i++;
      address = { kind: 'last' };
    }
    const c = script[i++];
    if (c === 's') {
      const delimiter = script[i++];
      if (!delimiter) fail(`unterminated \`s' command`);
      const re = readDelimited(delimiter);
      const replacement = readDelimited(delimiter);
      let global = false;
      let print = false;
      let flags = '';
      while (i < script.length && /[gIipw0-9]/.test(script[i])) {
        const f = script[i++];
        if (f === 'g') global = true;
        else if (f === 'I' || f === 'i') flags += 'i';
        else if (f === 'p') print = true;
      }
      commands.push({ cmd: 's', address, re: posixRegex(re, extended, flags + (global ? 'g' : '')), replacement, global, print });
    } else if (c === 'd') {
      commands.push({ cmd: 'd', address });
    } else if (c === 'c' || c === 'a' || c === 'i') {
      if (script[i] === '\\') i++;
      if (script[i] === '\n') i++;
      while (script[i] === ' ') i++;
      const end = script.indexOf('\n', i);
      const text = script.slice(i, end < 0 ? script.length : end);
      i = end < 0 ? script.length : end;
      commands.push({ cmd: c, address, text });
    } else {
      fail(`unknown command: \`${c ?? ''}'`);
    }
  }
  return commands;
}

function sedReplacement(template: string, match: string, groups: string[]): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && i + 1 < template.length) {
      const next = template[++i];
      if (/[1-9]/.test(next)) out += groups[Number(next) - 1] ?? '';
      else if (next === 'n') out += '\n';
      else if (next === 't') out += '\t';
      else out += next;
    } else if (c === '&') out += match;
    else out += c;
  }
  return out;
}

function runSed(commands: SedCommand[], input: string, quiet: boolean): string {
  const hadNewline = input.endsWith('\n');
  const lines = input === '' ? [] : (hadNewline ? input.slice(0, -1) : input).split('\n');
  const out: string[] = [];
  const matches = (address: SedAddress | undefined, line: string, n: number): boolean => {
    if (!address) return true;
    if (address.kind === 'line') return address.n === n;
    if (address.kind === 'last') return n === lines.length;
    address.re.lastIndex = 0;
    return address.re.test(line);
  };
  lines.forEach((original, index) => {
    const n = index + 1;
    let line = original;
    let deleted = false;
    const before: string[] = [];
    const after: string[] = [];
    for (const command of commands) {
      if (!matches(command.address, line, n)) continue;
      if (command.cmd === 'd') {
        deleted = true;
        break;
      }
      if (command.cmd !== 's') {
        if (command.cmd === 'c') line = command.text;
        else if (command.cmd === 'a') after.push(command.text);
        else before.push(command.text);
        continue;
      }
      command.re.lastIndex = 0;
      const replaced = line.replace(command.re, (match: string, ...rest: unknown[]) => {
        const groups = rest.slice(0, -2).map((g) => (typeof g === 'string' ? g : ''));
        return sedReplacement(command.replacement, match, groups);
      });
      if (command.print && replaced !== line) after.unshift(replaced);
      line = replaced;
    }
    out.push(...before);
    if (!deleted && !quiet) out.push(line);
    out.push(...after);
  });
  return out.length ? `${out.join('\n')}${hadNewline || lines.length === 0 ? '\n' : '\n'}` : '';
}

const sed: CommandImpl = (args, io, sh) => {
  const scripts: string[] = [];
  const files: string[] = [];
  let inPlace = false;
  let extended = false;
  let quiet = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-e' || a === '--expression') scripts.push(args[++i] ?? '');
    else if (a.startsWith('--expression=')) scripts.push(a.slice('--expression='.length));
    else if (a === '-i' || a.startsWith('-i') || a === '--in-place' || a.startsWith('--in-place=')) {
      inPlace = true;
      if (/^-i[A-Za-z]*[Ee]/.test(a)) extended = true;
    } else if (a === '-E' || a === '-r' || a === '--regexp-extended') extended = true;
    else if (a === '-n' || a === '--quiet' || a === '--silent') quiet = true;
    else if (/^-[A-Za-z]+$/.test(a)) {
      if (a.includes('E') || a.includes('r')) extended = true;
      if (a.includes('i')) inPlace = true;
      if (a.includes('n')) quiet = true;
      if (a.endsWith('e')) scripts.push(args[++i] ?? '');
    } else files.push(a);
  }
  if (scripts.length === 0) {
    if (files.length === 0) {
      io.err('Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n');
      return 1;
    }
    scripts.push(files.shift() as string);
  }
  let commands: SedCommand[];
  try {
    commands = scripts.flatMap((s, k) => parseSed(s, extended, k + 1));
  } catch (error) {
    if (error instanceof SedError || error instanceof SyntaxError) {
      io.err(`${error.message.startsWith('sed:') ? error.message : `sed: -e expression #1, char 0: ${error.message}`}\n`);
      return 1;
    }
    throw error;
  }
  if (files.length === 0) {
    io.out(runSed(commands, io.stdin, quiet));
    return 0;
  }
  let status = 0;
  for (const file of files) {
    const path = sh.resolvePath(file);
    const content = sh.readFile(path);
    if (content === undefined) {
      io.err(`sed: can't read ${file}: No such file or directory\n`);
      status = 2;
      continue;
    }
    const result = runSed(commands, content, quiet);
    if (inPlace) sh.software.files[path] = result;
    else io.out(result);
  }
  return status;
};

// ------------------------------------------------------------------------------------------------- grep

const grep: CommandImpl = (args, io, sh) => {
  const parsed = parseArgs(args, ['e', 'm', 'A', 'B', 'C']);
  const f = parsed.flags;
  const operands = [...parsed.operands];
  const pattern = parsed.values.get('e') ?? operands.shift();
  if (pattern === undefined) {
    io.err("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    return 2;
  }
  let re: RegExp;
  try {
    const extended = f.has('E') || f.has('P');
    const literal = f.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern;
    const source = f.has('F') || f.has('P') ? literal : posixRegex(literal, extended).source;
    const wrapped = f.has('x') ? `^(?:${source})$` : f.has('w') ? `\\b(?:${source})\\b` : source;
    re = new RegExp(wrapped, f.has('i') ? 'i' : '');
  } catch {
    io.err('grep: Invalid regular expression\n');
    return 2;
  }
  const sources: { name: string; text: string | undefined }[] =
    operands.length === 0 ? [{ name: '(standard input)', text: io.stdin }] : operands.map((o) => ({ name: o, text: sh.readFile(sh.resolvePath(o)) }));
  let matched = false;
  let error = false;
  for (const source of sources) {
    if (source.text === undefined) {
      if (!f.has('s')) io.err(`grep: ${source.name}: No such file or directory\n`);
      error = true;
      continue;
    }
    const lines = source.text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const hits = lines.filter((line) => re.test(line) !== f.has('v'));
    if (hits.length > 0) matched = true;
    if (f.has('q')) continue;
    if (f.has('l')) {
      if (hits.length) io.out(`${source.name}\n`);
      continue;
    }
    const prefix = sources.length > 1 ? `${source.name}:` : '';
    if (f.has('c')) io.out(`${prefix}${hits.length}\n`);
    else for (const hit of hits) io.out(`${prefix}${hit}\n`);
  }
  if (f.has('q') && matched) return 0;
  if (error) return 2;
  return matched ? 0 : 1;
};

// ------------------------------------------------------------------------------------------------- files

function missing(io: Io, tool: string, operand: string, verb = 'cannot access'): void {
  io.err(`${tool}: ${verb} '${operand}': No such file or directory\n`);
}

const rm: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args);
  const recursive = flags.has('r') || flags.has('R') || flags.has('recursive');
  const force = flags.has('f') || flags.has('force');
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    if (sh.isFile(path)) {
      sh.removeTree(path);
    } else if (sh.isDir(path)) {
      if (!recursive) {
        io.err(`rm: cannot remove '${operand}': Is a directory\n`);
        status = 1;
      } else if (path === '/') {
        io.err("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
        status = 1;
      } else sh.removeTree(path);
    } else if (!force) {
      missing(io, 'rm', operand, 'cannot remove');
      status = 1;
    }
  }
  if (operands.length === 0 && !force) {
    io.err("rm: missing operand\nTry 'rm --help' for more information.\n");
    return 1;
  }
  return status;
};

const shred: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args, ['n', 's', 'iterations', 'size']);
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    if (!sh.isFile(path)) {
      io.err(`shred: ${operand}: failed to open for writing: No such file or directory\n`);
      status = 1;
      continue;
    }
    sh.spend(200);
    if (flags.has('u') || flags.has('remove')) sh.removeTree(path);
    else sh.software.files[path] = flags.has('z') ? '\0'.repeat(Math.min(64, (sh.readFile(path) ?? '').length)) : '(shredded)';
  }
  return status;
};

const truncate: CommandImpl = (args, io, sh) => {
  const { flags, values, operands } = parseArgs(args, ['s', 'size']);
  const size = values.get('s') ?? values.get('size');
  if (size === undefined) {
    io.err("truncate: you must specify either '--size' or '--reference'\n");
    return 1;
  }
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    const content = sh.readFile(path);
    if (content === undefined && (flags.has('c') || flags.has('no-create'))) continue;
    const n = Number(size.replace(/^[<>+-]/, ''));
    const next = size === '0' || n === 0 ? '' : (content ?? '').slice(0, n);
    const error = sh.writeFile(path, next, false);
    if (error) {
      io.err(`truncate: cannot open '${operand}' for writing: No such file or directory\n`);
      status = 1;
    }
  }
  return status;
};

const touch: CommandImpl = (args, io, sh) => {
  const { operands } = parseArgs(args, ['d', 'r', 't']);
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    if (sh.exists(path)) continue;
    if (sh.writeFile(path, '', false)) {
      io.err(`touch: cannot touch '${operand}': No such file or directory\n`);
      status = 1;
    }
  }
  return status;
};

const mkdir: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args, ['m', 'mode']);
  const parents = flags.has('p') || flags.has('parents');
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    if (sh.exists(path)) {
      if (!parents || sh.isFile(path)) {
        io.err(`mkdir: cannot create directory '${operand}': File exists\n`);
        status = 1;
      }
      continue;
    }
    if (!parents && !sh.isDir(sh.parentOf(path))) {
      io.err(`mkdir: cannot create directory '${operand}': No such file or directory\n`);
      status = 1;
      continue;
    }
    sh.mkdir(path);
  }
  return status;
};

function copyTree(sh: Shell, from: string, to: string, move: boolean): void {
  const prefix = `${from}/`;
  for (const [key, content] of Object.entries(sh.software.files)) {
    if (key === from || key.startsWith(prefix)) {
      sh.software.files[to + key.slice(from.length)] = content;
      if (move) delete sh.software.files[key];
    }
  }
}

function copyOrMove(move: boolean): CommandImpl {
  const tool = move ? 'mv' : 'cp';
  return (args, io, sh) => {
    const { flags, operands } = parseArgs(args, ['t', 'S']);
    if (operands.length < 2) {
      io.err(`${tool}: missing destination file operand after '${operands[0] ?? ''}'\n`);
      return 1;
    }
    const target = sh.resolvePath(operands[operands.length - 1]);
    let status = 0;
    for (const operand of operands.slice(0, -1)) {
      const source = sh.resolvePath(operand);
      if (!sh.exists(source)) {
        io.err(`${tool}: cannot stat '${operand}': No such file or directory\n`);
        status = 1;
        continue;
      }
      const destination = sh.isDir(target) ? `${target === '/' ? '' : target}/${source.slice(source.lastIndexOf('/') + 1)}` : target;
      if (sh.isDir(source) && !move && !(flags.has('r') || flags.has('R') || flags.has('a'))) {
        io.err(`cp: -r not specified; omitting directory '${operand}'\n`);
        status = 1;
        continue;
      }
      if (!sh.isDir(sh.parentOf(destination))) {
        io.err(`${tool}: cannot create regular file '${operands[operands.length - 1]}': No such file or directory\n`);
        status = 1;
        continue;
      }
      copyTree(sh, source, destination, move);
    }
    return status;
  };
}

function needsExisting(tool: string, skipFirst: boolean): CommandImpl {
  return (args, io, sh) => {
    const { operands } = parseArgs(args, ['reference']);
    const targets = skipFirst ? operands.slice(1) : operands;
    let status = 0;
    for (const operand of targets) {
      if (!sh.exists(sh.resolvePath(operand))) {
        missing(io, tool, operand);
        status = 1;
      }
    }
    return status;
  };
}

const cat: CommandImpl = (args, io, sh) => {
  const { operands } = parseArgs(args);
  if (operands.length === 0) {
    io.out(io.stdin);
    return 0;
  }
  let status = 0;
  for (const operand of operands) {
    if (operand === '-') {
      io.out(io.stdin);
      continue;
    }
    const path = sh.resolvePath(operand);
    const content = sh.readFile(path);
    if (content === undefined) {
      io.err(`cat: ${operand}: ${sh.isDir(path) ? 'Is a directory' : 'No such file or directory'}\n`);
      status = 1;
    } else io.out(content);
  }
  return status;
};

const tee: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args);
  const append = flags.has('a') || flags.has('append');
  let status = 0;
  for (const operand of operands) {
    const error = sh.writeFile(sh.resolvePath(operand), io.stdin, append);
    if (error) {
      io.err(`tee: ${operand}: No such file or directory\n`);
      status = 1;
    }
  }
  io.out(io.stdin);
  return status;
};

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

function headTail(which: 'head' | 'tail'): CommandImpl {
  return (args, io, sh) => {
    const numeric = args.find((a) => /^-\d+$/.test(a));
    const rest = args.filter((a) => a !== numeric);
    const { values, operands } = parseArgs(rest, ['n', 'c', 'lines']);
    const n = Number(numeric?.slice(1) ?? values.get('n') ?? values.get('lines') ?? 10);
    const text = operands.length ? sh.readFile(sh.resolvePath(operands[0])) : io.stdin;
    if (text === undefined) {
      io.err(`${which}: cannot open '${operands[0]}' for reading: No such file or directory\n`);
      return 1;
    }
    const all = lines(text);
    const picked = which === 'head' ? all.slice(0, n) : all.slice(Math.max(0, all.length - n));
    if (picked.length) io.out(`${picked.join('\n')}\n`);
    return 0;
  };
}

const wc: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args);
  const text = operands.length ? sh.readFile(sh.resolvePath(operands[0])) : io.stdin;
  if (text === undefined) {
    io.err(`wc: ${operands[0]}: No such file or directory\n`);
    return 1;
  }
  const count = flags.has('l') ? lines(text).length : flags.has('c') ? text.length : text.split(/\s+/).filter(Boolean).length;
  io.out(`${count}${operands.length ? ` ${operands[0]}` : ''}\n`);
  return 0;
};

const ls: CommandImpl = (args, io, sh) => {
  const { operands } = parseArgs(args);
  const targets = operands.length ? operands : ['.'];
  let status = 0;
  for (const operand of targets) {
    const path = sh.resolvePath(operand);
    if (sh.isFile(path)) {
      io.out(`${operand}\n`);
      continue;
    }
    if (!sh.isDir(path)) {
      missing(io, 'ls', operand);
      status = 2;
      continue;
    }
    const base = path === '/' ? '/' : `${path}/`;
    const children = new Set<string>();
    for (const p of sh.allPaths()) {
      if (p.startsWith(base) && p !== path) children.add(p.slice(base.length).split('/')[0]);
    }
    if (children.size) io.out(`${[...children].sort().join('\n')}\n`);
  }
  return status;
};

const find: CommandImpl = (args, io, sh) => {
  const starts: string[] = [];
  let i = 0;
  while (i < args.length && !args[i].startsWith('-') && args[i] !== '!' && args[i] !== '(') starts.push(args[i++]);
  if (starts.length === 0) starts.push('.');
  let type: string | undefined;
  let namePattern: RegExp | undefined;
  let maxDepth = Infinity;
  let minDepth = 0;
  let action: { kind: 'print' } | { kind: 'delete' } | { kind: 'exec'; command: string[]; batch: boolean } = { kind: 'print' };
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '-type') type = args[++i];
    else if (a === '-name' || a === '-iname') {
      const glob = args[++i] ?? '';
      const source = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
      namePattern = new RegExp(`^${source}$`, a === '-iname' ? 'i' : '');
    } else if (a === '-maxdepth') maxDepth = Number(args[++i]);
    else if (a === '-mindepth') minDepth = Number(args[++i]);
    else if (a === '-delete') action = { kind: 'delete' };
    else if (a === '-exec' || a === '-execdir') {
      const command: string[] = [];
      let batch = false;
      for (i++; i < args.length; i++) {
        if (args[i] === ';') break;
        if (args[i] === '+') {
          batch = true;
          break;
        }
        command.push(args[i]);
      }
      action = { kind: 'exec', command, batch };
    } else if (a === '-mtime' || a === '-mmin' || a === '-size' || a === '-user' || a === '-perm' || a === '-newer') i++;
    // -print, -xdev, -mount, -o … need no handling for the simulator's purposes.
  }
  let status = 0;
  const found: string[] = [];
  for (const start of starts) {
    const root = sh.resolvePath(start);
    if (!sh.exists(root)) {
      io.err(`find: '${start}': No such file or directory\n`);
      status = 1;
      continue;
    }
    const base = root === '/' ? '/' : `${root}/`;
    const candidates = [root, ...sh.allPaths().filter((p) => p.startsWith(base) && p !== root)].sort();
    for (const path of candidates) {
      const depth = path === root ? 0 : path.slice(base.length).split('/').length;
      if (depth > maxDepth || depth < minDepth) continue;
      if (type === 'f' && !sh.isFile(path)) continue;
      if (type === 'd' && !sh.isDir(path)) continue;
      if (namePattern && !namePattern.test(path.slice(path.lastIndexOf('/') + 1))) continue;
      const shown = start.startsWith('/') ? path : `${start.replace(/\/$/, '')}${path.slice(root.length)}`;
      found.push(shown);
    }
  }
  if (action.kind === 'print') {
    if (found.length) io.out(`${found.join('\n')}\n`);
  } else if (action.kind === 'delete') {
    for (const path of [...found].reverse()) sh.removeTree(sh.resolvePath(path));
  } else {
    const { command, batch } = action;
    const runWith = (paths: string[]) => {
      const words = command.flatMap((w) => (w === '{}' ? paths : [w.split('{}').join(paths[0] ?? '')]));
      if (sh.invoke(words, io) !== 0) status = 1;
    };
    if (batch) {
      if (found.length) runWith(found);
    } else for (const path of found) runWith([path]);
  }
  return status;
};

const ln: CommandImpl = (args, io, sh) => {
  const { operands } = parseArgs(args);
  if (operands.length < 2) return 0;
  const link = sh.resolvePath(operands[1]);
  const error = sh.writeFile(sh.isDir(link) ? `${link}/${operands[0].split('/').pop()}` : link, sh.readFile(sh.resolvePath(operands[0])) ?? '', false);
  if (error) {
    io.err(`ln: failed to create symbolic link '${operands[1]}': No such file or directory\n`);
    return 1;
  }
  return 0;
};

const rmdir: CommandImpl = (args, io, sh) => {
  const { operands } = parseArgs(args);
  let status = 0;
  for (const operand of operands) {
    const path = sh.resolvePath(operand);
    if (!sh.isDir(path)) {
      io.err(`rmdir: failed to remove '${operand}': No such file or directory\n`);
      status = 1;
    } else if (Object.keys(sh.software.files).some((k) => k.startsWith(`${path}/`) && k !== `${path}/`)) {
      io.err(`rmdir: failed to remove '${operand}': Directory not empty\n`);
      status = 1;
    } else delete sh.software.files[`${path}/`];
  }
  return status;
};

function inputOf(operands: string[], io: Io, sh: Shell, tool: string): string | undefined {
  if (operands.length === 0 || operands[0] === '-') return io.stdin;
  const text = sh.readFile(sh.resolvePath(operands[0]));
  if (text === undefined) io.err(`${tool}: ${operands[0]}: No such file or directory\n`);
  return text;
}

const seq: CommandImpl = (args, io) => {
  const numbers = args.filter((a) => /^-?\d+$/.test(a)).map(Number);
  const [first, step, last] = numbers.length === 1 ? [1, 1, numbers[0]] : numbers.length === 2 ? [numbers[0], 1, numbers[1]] : [numbers[0], numbers[1], numbers[2]];
  if (last === undefined || step === 0) {
    io.err('seq: missing operand\n');
    return 1;
  }
  const out: number[] = [];
  for (let n = first; step > 0 ? n <= last : n >= last; n += step) {
    out.push(n);
    if (out.length > 100_000) break;
  }
  if (out.length) io.out(`${out.join('\n')}\n`);
  return 0;
};

const sort: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args, ['k', 't']);
  const text = inputOf(operands, io, sh, 'sort');
  if (text === undefined) return 2;
  let all = lines(text);
  all = flags.has('n') ? all.sort((a, b) => parseFloat(a) - parseFloat(b)) : all.sort();
  if (flags.has('r')) all.reverse();
  if (flags.has('u')) all = all.filter((line, i) => i === 0 || line !== all[i - 1]);
  if (all.length) io.out(`${all.join('\n')}\n`);
  return 0;
};

const uniq: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args);
  const text = inputOf(operands, io, sh, 'uniq');
  if (text === undefined) return 1;
  const out: { line: string; count: number }[] = [];
  for (const line of lines(text)) {
    const last = out[out.length - 1];
    if (last && last.line === line) last.count++;
    else out.push({ line, count: 1 });
  }
  const shown = out.map((o) => (flags.has('c') ? `${String(o.count).padStart(7)} ${o.line}` : o.line));
  if (shown.length) io.out(`${shown.join('\n')}\n`);
  return 0;
};

function trSet(spec: string): string {
  const classes: Record<string, string> = { '[:lower:]': 'abcdefghijklmnopqrstuvwxyz', '[:upper:]': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '[:digit:]': '0123456789', '[:space:]': ' \t\n\r\f\v' };
  let expanded = spec.replace(/\[:[a-z]+:\]/g, (c) => classes[c] ?? c).replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  expanded = expanded.replace(/(.)-(.)/g, (_, a: string, b: string) => {
    let out = '';
    for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) out += String.fromCharCode(c);
    return out;
  });
  return expanded;
}

const tr: CommandImpl = (args, io) => {
  const { flags, operands } = parseArgs(args);
  const from = trSet(operands[0] ?? '');
  if (flags.has('d')) {
    io.out([...io.stdin].filter((c) => !from.includes(c)).join(''));
    return 0;
  }
  const to = trSet(operands[1] ?? '');
  if (!to && !flags.has('s')) {
    io.err('tr: missing operand\n');
    return 1;
  }
  let out = to ? [...io.stdin].map((c) => (from.includes(c) ? to[Math.min(from.indexOf(c), to.length - 1)] : c)).join('') : io.stdin;
  if (flags.has('s')) {
    const squeeze = to || from;
    out = [...out].filter((c, i, all) => !(i > 0 && c === all[i - 1] && squeeze.includes(c))).join('');
  }
  io.out(out);
  return 0;
};

const cut: CommandImpl = (args, io, sh) => {
  const { values, operands } = parseArgs(args, ['d', 'f', 'c']);
  const text = inputOf(operands, io, sh, 'cut');
  if (text === undefined) return 1;
  const pick = (spec: string, count: number): number[] =>
    spec.split(',').flatMap((part) => {
      const [a, b] = part.split('-');
      const start = a ? Number(a) : 1;
      const end = part.includes('-') ? (b ? Number(b) : count) : start;
      const out: number[] = [];
      for (let n = start; n <= Math.min(end, count); n++) out.push(n);
      return out;
    });
  const out = lines(text).map((line) => {
    if (values.has('c')) return pick(values.get('c') ?? '', line.length).map((n) => line[n - 1]).join('');
    const delimiter = values.get('d') ?? '\t';
    const fields = line.split(delimiter);
    if (fields.length === 1) return line;
    return pick(values.get('f') ?? '', fields.length).map((n) => fields[n - 1]).join(delimiter);
  });
  if (out.length) io.out(`${out.join('\n')}\n`);
  return 0;
};

const basename: CommandImpl = (args, io) => {
  const [path = '', suffix] = args.filter((a) => !a.startsWith('-'));
  let base = path.replace(/\/+$/, '').split('/').pop() ?? '';
  if (suffix && base.endsWith(suffix) && base !== suffix) base = base.slice(0, -suffix.length);
  io.out(`${base || '/'}\n`);
  return 0;
};

const dirname: CommandImpl = (args, io) => {
  const path = (args.find((a) => !a.startsWith('-')) ?? '').replace(/\/+$/, '');
  const i = path.lastIndexOf('/');
  io.out(`${i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i)}\n`);
  return 0;
};

const mktemp: CommandImpl = (args, io, sh) => {
  const { flags, operands } = parseArgs(args, ['p', 'tmpdir']);
  // Deterministic for a given instance state, like every id the simulator makes.
  const suffix = hash(`${sh.instanceId}/${sh.now + sh.elapsedMs}/${Object.keys(sh.software.files).length}`).toString(36).padStart(10, 'q').slice(-10);
  const template = operands[0] ?? '/tmp/tmp.XXXXXXXXXX';
  const path = sh.resolvePath(template.includes('XXX') ? template.replace(/X{3,}$/, (x) => suffix.slice(-x.length).padStart(x.length, 'a')) : template);
  if (flags.has('d')) sh.mkdir(path);
  else if (sh.writeFile(path, '', false)) {
    io.err(`mktemp: failed to create file via template '${template}': No such file or directory\n`);
    return 1;
  }
  io.out(`${path}\n`);
  return 0;
};

export const FILE_COMMANDS: Record<string, CommandImpl> = {
  seq,
  sort,
  uniq,
  tr,
  cut,
  basename,
  dirname,
  mktemp,
  cat,
  tee,
  touch,
  mkdir,
  rm,
  rmdir,
  shred,
  truncate,
  cp: copyOrMove(false),
  mv: copyOrMove(true),
  install: copyOrMove(false),
  ln,
  chmod: needsExisting('chmod', true),
  chown: needsExisting('chown', true),
  chgrp: needsExisting('chgrp', true),
  chattr: needsExisting('chattr', true),
  restorecon: () => 0,
  sed,
  grep,
  egrep: (args, io, sh) => grep(['-E', ...args], io, sh),
  head: headTail('head'),
  tail: headTail('tail'),
  wc,
  ls,
  find,
};
