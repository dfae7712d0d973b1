/**
 * Tokenizer and parser for the POSIX-shell subset that `AWS-RunShellScript` scripts of this product use.
 * See `shell.ts` for what is executed and how; this file only turns text into a syntax tree.
 *
 * Understood syntax: words with '…', "…", \-escapes, $VAR, ${VAR}, ${VAR:-default}, $?, $(…) and `…`;
 * comments; line continuations; `;` `&&` `||` `|` `!` `&` (run in the foreground); `( … )` and `{ …; }`;
 * `if/elif/else/fi`; `for NAME in WORDS; do …; done`; `while`/`until … do … done`; `case … in … esac`;
 * function definitions (`name() { …; }`, `function name { …; }`); redirections `>`, `>>`, `<`, `2>&1`, `&>`,
 * `N>file`; here-documents (`<<EOF`, `<<'EOF'`, `<<-EOF`). Recognized but not supported (a syntax error,
 * exit 2): `select`, `<<<`. `$(( ))` is integer arithmetic (arithmetic.ts).
 */

export type WordPart =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'var'; name: string; quoted: boolean; fallback?: WordPart[]; op?: ':-' | '-' | ':=' | ':+' }
  | { kind: 'cmdsub'; script: string; quoted: boolean }
  | { kind: 'arith'; expression: string; quoted: boolean };

export interface Word {
  parts: WordPart[];
  /** Source text, for `set -x` traces and error messages. */
  raw: string;
}

export type Redirect =
  | { fd: number; op: '>' | '>>' | '<'; target: Word }
  | { fd: number; op: '>&'; toFd: number }
  | { fd: 1; op: '&>' | '&>>'; target: Word }
  | { fd: 0; op: '<<'; body: string; expand: boolean };

export interface SimpleCommand {
  type: 'simple';
  assignments: { name: string; value: Word }[];
  words: Word[];
  redirects: Redirect[];
  line: number;
}

export interface Pipeline {
  type: 'pipeline';
  negated: boolean;
  commands: Command[];
}

export interface AndOr {
  type: 'andor';
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}

export interface List {
  type: 'list';
  items: AndOr[];
}

export interface IfClause {
  type: 'if';
  branches: { condition: List; body: List }[];
  elseBody?: List;
  redirects: Redirect[];
}

export interface ForClause {
  type: 'for';
  variable: string;
  items: Word[] | undefined;
  body: List;
  redirects: Redirect[];
}

export interface Group {
  type: 'group';
  subshell: boolean;
  body: List;
  redirects: Redirect[];
}

export interface WhileClause {
  type: 'while';
  /** `until` loops run while the condition fails. */
  until: boolean;
  condition: List;
  body: List;
  redirects: Redirect[];
}

export interface CaseClause {
  type: 'case';
  subject: Word;
  items: { patterns: Word[]; body: List | undefined }[];
  redirects: Redirect[];
}

export interface FunctionDefinition {
  type: 'function';
  name: string;
  body: Command;
}

export type Command = SimpleCommand | IfClause | ForClause | WhileClause | CaseClause | Group | FunctionDefinition;

export class ShellSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'ShellSyntaxError';
  }
}

// ------------------------------------------------------------------------------------------------- tokenizer

type OpText = ';' | '\n' | '&&' | '||' | '|' | '&' | '(' | ')' | ';;';

type Token =
  | { kind: 'word'; word: Word; line: number }
  | { kind: 'op'; op: OpText; line: number }
  | { kind: 'redir'; redirect: Redirect; line: number }
  | { kind: 'eof'; line: number }
  | { kind: 'error'; message: string; line: number };

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMS = new Set(['?', '#', '$', '@', '*', '!', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

class Tokenizer {
  private pos = 0;
  private line = 1;
  private readonly tokens: Token[] = [];
  private pendingHeredocs: { redirect: { fd: 0; op: '<<'; body: string; expand: boolean }; delimiter: string; stripTabs: boolean }[] = [];

  constructor(private readonly src: string) {}

  run(): Token[] {
    try {
      this.scan();
      this.tokens.push({ kind: 'eof', line: this.line });
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      this.tokens.push({ kind: 'error', message: error.message, line: error.line });
    }
    return this.tokens;
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  private scan(): void {
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === '\\' && this.peek(1) === '\n') {
        this.pos += 2;
        this.line++;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        this.pos++;
        continue;
      }
      if (c === '#') {
        while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
        continue;
      }
      if (c === '\n') {
        this.tokens.push({ kind: 'op', op: '\n', line: this.line });
        this.pos++;
        this.line++;
        this.readHeredocBodies();
        continue;
      }
      const two = c + this.peek(1);
      if (two === '&&' || two === '||' || two === ';;') {
        this.tokens.push({ kind: 'op', op: two, line: this.line });
        this.pos += 2;
        continue;
      }
      if (two === '&>') {
        this.pos += 2;
        const append = this.peek() === '>';
        if (append) this.pos++;
        this.tokens.push({ kind: 'redir', redirect: { fd: 1, op: append ? '&>>' : '&>', target: this.readRedirectTarget() }, line: this.line });
        continue;
      }
      if (c === ';' || c === '|' || c === '&' || c === '(' || c === ')') {
        this.tokens.push({ kind: 'op', op: c, line: this.line });
        this.pos++;
        continue;
      }
      if (c === '<' || c === '>') {
        this.readRedirect(undefined);
        continue;
      }
      if (/[0-9]/.test(c)) {
        // `2>` / `2>&1`: a redirect when digits are directly followed by < or >.
        let end = this.pos;
        while (/[0-9]/.test(this.src[end] ?? '')) end++;
        const after = this.src[end] ?? '';
        if (after === '<' || after === '>') {
          const fd = Number(this.src.slice(this.pos, end));
          this.pos = end;
          this.readRedirect(fd);
          continue;
        }
      }
      this.tokens.push({ kind: 'word', word: this.readWord(), line: this.line });
    }
    if (this.pendingHeredocs.length > 0) {
      // A here-document on the last line without a newline after it: bash warns and uses what there is.
      this.readHeredocBodies();
    }
  }

  private readRedirect(fdGiven: number | undefined): void {
    const c = this.peek();
    if (c === '<' && this.peek(1) === '<') {
      this.pos += 2;
      if (this.peek() === '<') throw new ShellSyntaxError('here-strings (<<<) are not supported by the simulator', this.line);
      let stripTabs = false;
      if (this.peek() === '-') {
        stripTabs = true;
        this.pos++;
      }
      while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
      const delimiterWord = this.readWord();
      const quoted = delimiterWord.parts.some((p) => p.kind === 'lit' && p.quoted);
      const delimiter = delimiterWord.parts.map((p) => (p.kind === 'lit' ? p.text : '')).join('');
      if (!delimiter) throw new ShellSyntaxError("syntax error near unexpected token `newline'", this.line);
      const redirect = { fd: 0 as const, op: '<<' as const, body: '', expand: !quoted };
      this.pendingHeredocs.push({ redirect, delimiter, stripTabs });
      this.tokens.push({ kind: 'redir', redirect, line: this.line });
      return;
    }
    if (c === '<') {
      this.pos++;
      this.tokens.push({ kind: 'redir', redirect: { fd: fdGiven ?? 0, op: '<', target: this.readRedirectTarget() }, line: this.line });
      return;
    }
    // '>'
    this.pos++;
    let op: '>' | '>>' = '>';
    if (this.peek() === '>') {
      op = '>>';
      this.pos++;
    } else if (this.peek() === '|') {
      this.pos++;
    }
    if (op === '>' && this.peek() === '&') {
      this.pos++;
      let end = this.pos;
      while (/[0-9]/.test(this.src[end] ?? '')) end++;
      if (end === this.pos) throw new ShellSyntaxError("syntax error near unexpected token `&'", this.line);
      const toFd = Number(this.src.slice(this.pos, end));
      this.pos = end;
      this.tokens.push({ kind: 'redir', redirect: { fd: fdGiven ?? 1, op: '>&', toFd }, line: this.line });
      return;
    }
    this.tokens.push({ kind: 'redir', redirect: { fd: fdGiven ?? 1, op, target: this.readRedirectTarget() }, line: this.line });
  }

  private readRedirectTarget(): Word {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    const c = this.peek();
    if (!c || c === '\n' || ';|&()<>'.includes(c)) {
      throw new ShellSyntaxError(`syntax error near unexpected token \`${c === '\n' || !c ? 'newline' : c}'`, this.line);
    }
    return this.readWord();
  }

  private readHeredocBodies(): void {
    for (const pending of this.pendingHeredocs) {
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= this.src.length) break;
        const nl = this.src.indexOf('\n', this.pos);
        const end = nl < 0 ? this.src.length : nl;
        let text = this.src.slice(this.pos, end);
        this.pos = nl < 0 ? this.src.length : nl + 1;
        this.line++;
        if (pending.stripTabs) text = text.replace(/^\t+/, '');
        if (text === pending.delimiter) break;
        lines.push(text);
      }
      pending.redirect.body = lines.length ? `${lines.join('\n')}\n` : '';
    }
    this.pendingHeredocs = [];
  }

  /** A word up to an unquoted blank or operator character. */
  private readWord(): Word {
    const start = this.pos;
    const parts: WordPart[] = [];
    let lit = '';
    const flush = (quoted: boolean) => {
      if (lit) parts.push({ kind: 'lit', text: lit, quoted });
      lit = '';
    };
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || ';|&()<>'.includes(c)) break;
      if (c === '\\') {
        if (this.peek(1) === '\n') {
          this.pos += 2;
          this.line++;
          continue;
        }
        flush(false);
        lit = this.peek(1);
        flush(true);
        this.pos += 2;
        continue;
      }
      if (c === "'") {
        flush(false);
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''", this.line);
        const text = this.src.slice(this.pos + 1, end);
        this.line += countNewlines(text);
        parts.push({ kind: 'lit', text, quoted: true });
        this.pos = end + 1;
        continue;
      }
      if (c === '"') {
        flush(false);
        this.pos++;
        parts.push(...this.readDoubleQuoted());
        continue;
      }
      if (c === '$' || c === '`') {
        const part = this.readDollar(false);
        if (part) {
          flush(false);
          parts.push(part);
          continue;
        }
      }
      lit += c;
      this.pos++;
    }
    flush(false);
    return { parts, raw: this.src.slice(start, this.pos) };
  }

  private readDoubleQuoted(): WordPart[] {
    const parts: WordPart[] = [];
    let lit = '';
    for (;;) {
      if (this.pos >= this.src.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'', this.line);
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\\' && '$`"\\\n'.includes(this.peek(1))) {
        if (this.peek(1) === '\n') this.line++;
        else lit += this.peek(1);
        this.pos += 2;
        continue;
      }
      if (c === '$' || c === '`') {
        const part = this.readDollar(true);
        if (part) {
          if (lit) parts.push({ kind: 'lit', text: lit, quoted: true });
          lit = '';
          parts.push(part);
          continue;
        }
      }
      if (c === '\n') this.line++;
      lit += c;
      this.pos++;
    }
    // An empty "" still makes a (quoted, empty) word.
    if (lit || parts.length === 0) parts.push({ kind: 'lit', text: lit, quoted: true });
    return parts;
  }

  /** `$NAME`, `${…}`, `$(…)` or `` `…` `` at the current position; undefined for a lone `$`. */
  private readDollar(quoted: boolean): WordPart | undefined {
    if (this.peek() === '`') {
      const end = this.src.indexOf('`', this.pos + 1);
      if (end < 0) throw new ShellSyntaxError('unexpected EOF while looking for matching ``\'', this.line);
      const script = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { kind: 'cmdsub', script, quoted };
    }
    const next = this.peek(1);
    if (next === '(') {
      if (this.peek(2) === '(') {
        const end = this.src.indexOf('))', this.pos + 3);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `))'", this.line);
        const expression = this.src.slice(this.pos + 3, end);
        this.pos = end + 2;
        return { kind: 'arith', expression, quoted };
      }
      let depth = 0;
      let i = this.pos + 1;
      for (; i < this.src.length; i++) {
        const ch = this.src[i];
        if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
        else if (ch === "'") {
          const close = this.src.indexOf("'", i + 1);
          if (close < 0) break;
          i = close;
        }
      }
      if (i >= this.src.length) throw new ShellSyntaxError("unexpected EOF while looking for matching `)'", this.line);
      const script = this.src.slice(this.pos + 2, i);
      this.pos = i + 1;
      return { kind: 'cmdsub', script, quoted };
    }
    if (next === '{') {
      const end = this.src.indexOf('}', this.pos + 2);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'", this.line);
      const inner = this.src.slice(this.pos + 2, end);
      this.pos = end + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*|[?#$@*!0-9])(?:(:-|-|:=|:\+)(.*))?$/s.exec(inner);
      if (!m) throw new ShellSyntaxError(`\${${inner}}: bad substitution`, this.line);
      const fallback = m[2] !== undefined ? new Tokenizer(`"${m[3].replace(/"/g, '\\"')}"`).run() : undefined;
      const fallbackWord = fallback?.[0]?.kind === 'word' ? fallback[0].word.parts : undefined;
      return { kind: 'var', name: m[1], quoted, op: m[2] as ':-' | '-' | ':=' | ':+' | undefined, fallback: fallbackWord };
    }
    if (NAME_START.test(next)) {
      let end = this.pos + 1;
      while (end < this.src.length && NAME_CHAR.test(this.src[end])) end++;
      const name = this.src.slice(this.pos + 1, end);
      this.pos = end;
      return { kind: 'var', name, quoted };
    }
    if (SPECIAL_PARAMS.has(next)) {
      this.pos += 2;
      return { kind: 'var', name: next, quoted };
    }
    return undefined;
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}

/** Parse the body of an unquoted here-document (or any text) as the inside of double quotes. */
export function parseExpandableText(text: string): WordPart[] {
  const tokens = new Tokenizer(`"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\\\\\$/g, '\\$')}"`).run();
  const first = tokens[0];
  return first?.kind === 'word' ? first.word.parts : [{ kind: 'lit', text, quoted: true }];
}

// ------------------------------------------------------------------------------------------------- parser

const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done', 'while', 'until', 'case', 'esac', '{', '}', '!', 'function', 'select']);
const UNSUPPORTED = new Set(['select']);

/** The word's literal text when it is one unquoted literal (how reserved words are recognized). */
function plainText(word: Word): string | undefined {
  if (word.parts.length !== 1) return undefined;
  const part = word.parts[0];
  return part.kind === 'lit' && !part.quoted ? part.text : undefined;
}

/**
 * Parses one complete command (an and-or list up to a newline or `;`) at a time, so the interpreter can run
 * each before the next is parsed — as bash does when it reads a script file: a syntax error further down
 * only stops the script when it is reached.
 */
export class ShellParser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(src: string) {
    this.tokens = new Tokenizer(src).run();
  }

  /** The next top-level and-or list, or undefined at the end of the script. */
  next(): AndOr | undefined {
    this.skipSeparators();
    if (this.peek().kind === 'eof') return undefined;
    const item = this.parseAndOr();
    const t = this.peek();
    if (t.kind === 'op' && (t.op === ';' || t.op === '\n' || t.op === '&')) this.i++;
    else if (t.kind !== 'eof') this.fail(t);
    return item;
  }

  /** Line of the next token (for error messages). */
  get line(): number {
    return this.peek().line;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private fail(token: Token): never {
    if (token.kind === 'error') throw new ShellSyntaxError(token.message, token.line);
    const text = token.kind === 'op' ? (token.op === '\n' ? 'newline' : token.op) : token.kind === 'word' ? token.word.raw : token.kind === 'eof' ? 'EOF' : '<redirect>';
    if (token.kind === 'eof') throw new ShellSyntaxError('syntax error: unexpected end of file', token.line);
    throw new ShellSyntaxError(`syntax error near unexpected token \`${text}'`, token.line);
  }

  private skipSeparators(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.op === '\n' || t.op === ';')) this.i++;
      else return;
    }
  }

  private skipNewlines(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && t.op === '\n') this.i++;
      else return;
    }
  }

  private isReserved(token: Token, word: string): boolean {
    return token.kind === 'word' && plainText(token.word) === word;
  }

  private parseAndOr(): AndOr {
    const first = this.parsePipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.op === '&&' || t.op === '||')) {
        this.i++;
        this.skipNewlines();
        rest.push({ op: t.op, pipeline: this.parsePipeline() });
      } else break;
    }
    return { type: 'andor', first, rest };
  }

  private parsePipeline(): Pipeline {
    let negated = false;
    while (this.isReserved(this.peek(), '!')) {
      negated = !negated;
      this.i++;
    }
    const commands = [this.parseCommand()];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && t.op === '|') {
        this.i++;
        this.skipNewlines();
        commands.push(this.parseCommand());
      } else break;
    }
    return { type: 'pipeline', negated, commands };
  }

  /** A list up to (not including) one of the reserved words in `until` or a `)`. */
  private parseList(until: string[]): List {
    const items: AndOr[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.peek();
      if (t.kind === 'eof' || t.kind === 'error') this.fail(t);
      if (t.kind === 'op' && t.op === ')' && until.includes(')')) break;
      if (t.kind === 'op' && t.op === ';;' && until.includes(';;')) break;
      if (t.kind === 'word' && until.some((w) => this.isReserved(t, w))) break;
      items.push(this.parseAndOr());
      const sep = this.peek();
      if (sep.kind === 'op' && (sep.op === ';' || sep.op === '\n' || sep.op === '&')) this.i++;
    }
    if (items.length === 0 && !until.includes(';;')) this.fail(this.peek());
    return { type: 'list', items };
  }

  private expectReserved(word: string): void {
    this.skipSeparators();
    const t = this.peek();
    if (!this.isReserved(t, word)) this.fail(t);
    this.i++;
  }

  private parseTrailingRedirects(): Redirect[] {
    const redirects: Redirect[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'redir') return redirects;
      redirects.push(t.redirect);
      this.i++;
    }
  }

  private parseCommand(): Command {
    const t = this.peek();
    if (t.kind === 'op' && t.op === '(') {
      this.i++;
      const body = this.parseList([')']);
      const close = this.peek();
      if (!(close.kind === 'op' && close.op === ')')) this.fail(close);
      this.i++;
      return { type: 'group', subshell: true, body, redirects: this.parseTrailingRedirects() };
    }
    if (t.kind === 'word') {
      const text = plainText(t.word);
      if (text !== undefined && UNSUPPORTED.has(text)) {
        throw new ShellSyntaxError(`'${text}' is not supported by the simulator`, t.line);
      }
      if (text === 'if') return this.parseIf();
      if (text === 'for') return this.parseFor();
      if (text === 'while' || text === 'until') return this.parseWhile(text === 'until');
      if (text === 'case') return this.parseCase();
      if (text === 'function') {
        this.i++;
        const nameToken = this.peek();
        const name = nameToken.kind === 'word' ? plainText(nameToken.word) : undefined;
        if (!name) this.fail(nameToken);
        this.i++;
        if (this.peek().kind === 'op' && (this.peek() as { op: string }).op === '(') {
          this.i++;
          const close = this.peek();
          if (!(close.kind === 'op' && close.op === ')')) this.fail(close);
          this.i++;
        }
        this.skipNewlines();
        return { type: 'function', name, body: this.parseCommand() };
      }
      if (text === '{') {
        this.i++;
        const body = this.parseList(['}']);
        this.expectReserved('}');
        return { type: 'group', subshell: false, body, redirects: this.parseTrailingRedirects() };
      }
      if (text !== undefined && RESERVED.has(text) && text !== '!') this.fail(t);
      const open = this.peek(1);
      const close = this.peek(2);
      if (text !== undefined && open.kind === 'op' && open.op === '(' && close.kind === 'op' && close.op === ')') {
        if (!/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(text)) this.fail(t);
        this.i += 3;
        this.skipNewlines();
        return { type: 'function', name: text, body: this.parseCommand() };
      }
    }
    return this.parseSimple();
  }

  private parseIf(): IfClause {
    this.i++; // if
    const branches: IfClause['branches'] = [];
    let elseBody: List | undefined;
    const condition = this.parseList(['then']);
    this.expectReserved('then');
    branches.push({ condition, body: this.parseList(['elif', 'else', 'fi']) });
    for (;;) {
      this.skipSeparators();
      const t = this.peek();
      if (this.isReserved(t, 'elif')) {
        this.i++;
        const c = this.parseList(['then']);
        this.expectReserved('then');
        branches.push({ condition: c, body: this.parseList(['elif', 'else', 'fi']) });
        continue;
      }
      if (this.isReserved(t, 'else')) {
        this.i++;
        elseBody = this.parseList(['fi']);
      }
      this.expectReserved('fi');
      break;
    }
    return { type: 'if', branches, elseBody, redirects: this.parseTrailingRedirects() };
  }

  private parseFor(): ForClause {
    this.i++; // for
    const nameToken = this.peek();
    const variable = nameToken.kind === 'word' ? plainText(nameToken.word) : undefined;
    if (!variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) this.fail(nameToken);
    this.i++;
    let items: Word[] | undefined;
    this.skipNewlines();
    if (this.isReserved(this.peek(), 'in')) {
      this.i++;
      items = [];
      for (;;) {
        const t = this.peek();
        if (t.kind === 'word') {
          items.push(t.word);
          this.i++;
        } else break;
      }
    }
    this.expectReserved('do');
    const body = this.parseList(['done']);
    this.expectReserved('done');
    return { type: 'for', variable, items, body, redirects: this.parseTrailingRedirects() };
  }

  private parseWhile(until: boolean): WhileClause {
    this.i++; // while / until
    const condition = this.parseList(['do']);
    this.expectReserved('do');
    const body = this.parseList(['done']);
    this.expectReserved('done');
    return { type: 'while', until, condition, body, redirects: this.parseTrailingRedirects() };
  }

  private parseCase(): CaseClause {
    this.i++; // case
    const subjectToken = this.peek();
    if (subjectToken.kind !== 'word') this.fail(subjectToken);
    this.i++;
    this.skipNewlines();
    if (!this.isReserved(this.peek(), 'in')) this.fail(this.peek());
    this.i++;
    const items: CaseClause['items'] = [];
    for (;;) {
      this.skipSeparators();
      if (this.isReserved(this.peek(), 'esac')) {
        this.i++;
        break;
      }
      const first = this.peek();
      if (first.kind === 'op' && first.op === '(') this.i++;
      const patterns: Word[] = [];
      for (;;) {
        const t = this.peek();
        if (t.kind !== 'word') this.fail(t);
        patterns.push(t.word);
        this.i++;
        const next = this.peek();
        if (next.kind === 'op' && next.op === '|') {
          this.i++;
          continue;
        }
        if (next.kind === 'op' && next.op === ')') {
          this.i++;
          break;
        }
        this.fail(next);
      }
      const body = this.parseList([';;', 'esac']);
      items.push({ patterns, body: body.items.length ? body : undefined });
      const end = this.peek();
      if (end.kind === 'op' && end.op === ';;') this.i++;
    }
    return { type: 'case', subject: subjectToken.word, items, redirects: this.parseTrailingRedirects() };
  }

  private parseSimple(): SimpleCommand {
    const line = this.peek().line;
    const assignments: SimpleCommand['assignments'] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'redir') {
        redirects.push(t.redirect);
        this.i++;
        continue;
      }
      if (t.kind !== 'word') break;
      const first = t.word.parts[0];
      if (words.length === 0 && first?.kind === 'lit' && !first.quoted) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
        if (m) {
          const valueParts: WordPart[] = [];
          const restText = first.text.slice(m[0].length);
          if (restText) valueParts.push({ kind: 'lit', text: restText, quoted: false });
          valueParts.push(...t.word.parts.slice(1));
          assignments.push({ name: m[1], value: { parts: valueParts, raw: t.word.raw.slice(m[0].length) } });
          this.i++;
          continue;
        }
      }
      words.push(t.word);
      this.i++;
    }
    if (words.length === 0 && assignments.length === 0 && redirects.length === 0) this.fail(this.peek());
    return { type: 'simple', assignments, words, redirects, line };
  }
}
