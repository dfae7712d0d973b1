/**
 * Shell arithmetic (`$(( … ))`) on integers: + - * / % ** with C precedence, comparisons, && || !, unary
 * minus, parentheses, and variable names (their value, 0 when unset or not a number). No assignments.
 */

export class ArithmeticError extends Error {
  constructor(expression: string, detail: string) {
    super(`${expression}: ${detail}`);
    this.name = 'ArithmeticError';
  }
}

type Token = { kind: 'num'; value: number } | { kind: 'op'; op: string } | { kind: 'name'; name: string };

const OPERATORS = ['**', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '<', '>', '!', '(', ')'];

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^\d+/.exec(expression.slice(i));
    if (number) {
      tokens.push({ kind: 'num', value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i));
    if (name) {
      tokens.push({ kind: 'name', name: name[0].replace(/^\$/, '') });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (!op) throw new ArithmeticError(expression, `syntax error: invalid arithmetic operator (error token is "${expression.slice(i)}")`);
    tokens.push({ kind: 'op', op });
    i += op.length;
  }
  return tokens;
}

const BINARY: { ops: string[]; apply: (a: number, b: number, op: string) => number }[] = [
  { ops: ['||'], apply: (a, b) => (a || b ? 1 : 0) },
  { ops: ['&&'], apply: (a, b) => (a && b ? 1 : 0) },
  { ops: ['==', '!='], apply: (a, b, op) => ((op === '==') === (a === b) ? 1 : 0) },
  { ops: ['<', '>', '<=', '>='], apply: (a, b, op) => ({ '<': a < b, '>': a > b, '<=': a <= b, '>=': a >= b })[op] ? 1 : 0 },
  { ops: ['+', '-'], apply: (a, b, op) => (op === '+' ? a + b : a - b) },
  { ops: ['*', '/', '%'], apply: (a, b, op) => (op === '*' ? a * b : op === '/' ? Math.trunc(a / b) : a % b) },
];

/** Evaluate `expression` with `lookup` for variables. */
export function evaluateArithmetic(expression: string, lookup: (name: string) => string | undefined): number {
  const tokens = tokenize(expression);
  let pos = 0;
  const peekOp = (): string | undefined => {
    const t = tokens[pos];
    return t?.kind === 'op' ? t.op : undefined;
  };
  const level = (index: number): number => {
    if (index >= BINARY.length) return power();
    let left = level(index + 1);
    for (;;) {
      const op = peekOp();
      if (!op || !BINARY[index].ops.includes(op)) return left;
      pos++;
      const right = level(index + 1);
      if ((op === '/' || op === '%') && right === 0) throw new ArithmeticError(expression, 'division by 0 (error token is "0")');
      left = BINARY[index].apply(left, right, op);
    }
  };
  const power = (): number => {
    const base = unary();
    if (peekOp() === '**') {
      pos++;
      return base ** power();
    }
    return base;
  };
  const unary = (): number => {
    const op = peekOp();
    if (op === '-') {
      pos++;
      return -unary();
    }
    if (op === '+') {
      pos++;
      return unary();
    }
    if (op === '!') {
      pos++;
      return unary() ? 0 : 1;
    }
    return primary();
  };
  const primary = (): number => {
    const t = tokens[pos++];
    if (!t) throw new ArithmeticError(expression, 'syntax error: operand expected');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'name') {
      const value = Number((lookup(t.name) ?? '').trim() || '0');
      return Number.isInteger(value) ? value : 0;
    }
    if (t.op === '(') {
      const inner = level(0);
      if (peekOp() !== ')') throw new ArithmeticError(expression, 'syntax error: missing `)\'');
      pos++;
      return inner;
    }
    throw new ArithmeticError(expression, `syntax error: operand expected (error token is "${t.op}")`);
  };
  if (tokens.length === 0) return 0;
  const result = level(0);
  if (pos < tokens.length) throw new ArithmeticError(expression, 'syntax error in expression');
  return result;
}
