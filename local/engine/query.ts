/**
 * JSONata as Step Functions evaluates it: a string field is an expression only when it is exactly
 * `{% ... %}`; `$states` and the workflow variables are bindings; there is no input context (`$` is
 * undefined at the top level, so `$states.input` must be used); AWS's added functions ($partition, $range,
 * $hash, $random, $uuid, $parse) are present and `$eval` is not; any evaluation error, an undefined result
 * or a value JSON cannot hold raises States.QueryEvaluationError.
 *
 * Every expression is compiled once per engine and cached; templates (objects holding `{% %}` strings) are
 * compiled once into a tree that skips constant parts.
 */
import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import { jsonataExpression, type Json } from './asl';
import { StatesError, StatesErrors } from './errors';
import { seededRandom, uuidFrom, type RandomSource } from './random';

/** What `$states` holds while a field is evaluated. */
export interface StatesBinding {
  input: unknown;
  context: unknown;
  result?: unknown;
  errorOutput?: unknown;
}

/** Everything a field's evaluation needs, plus where it is (for the error's cause). */
export interface EvaluationScope {
  states: StatesBinding;
  /** Visible workflow variables, flattened (inner scopes over outer ones). */
  variables: Readonly<Record<string, unknown>>;
  stateName: string;
  enteredEventId: number;
}

type Compiled =
  | { constant: true; value: Json }
  | { constant: false; evaluate: (scope: EvaluationScope, field: string) => Promise<unknown> };

const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** Thrown by AWS's added functions; turned into States.QueryEvaluationError with its message. */
class FunctionArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionArgumentError';
  }
}

export class QueryEvaluator {
  private readonly expressions = new Map<string, jsonata.Expression>();
  private readonly templates = new WeakMap<object, Compiled>();
  private readonly stringTemplates = new Map<string, Compiled>();

  /** `now` is the engine clock, so `$now()` and `$millis()` tell virtual time as AWS tells execution time. */
  constructor(
    private readonly random: RandomSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** Compile (once) the expression text inside `{% %}`; a syntax error is States.QueryEvaluationError. */
  compile(expression: string): jsonata.Expression {
    let compiled = this.expressions.get(expression);
    if (compiled) return compiled;
    compiled = jsonata(expression);
    this.registerAwsFunctions(compiled);
    this.expressions.set(expression, compiled);
    return compiled;
  }

  /** Syntax-check an expression (definition validation); returns the parser's message or undefined. */
  syntaxProblem(expression: string): string | undefined {
    try {
      this.compile(expression);
      return undefined;
    } catch (error) {
      if (error instanceof Error) return error.message;
      const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
      return typeof message === 'string' ? `${typeof code === 'string' ? `${code}: ` : ''}${message}` : String(error);
    }
  }

  /**
   * Evaluate one expression text (without the `{% %}`) and return plain JSON. `field` is the field's path as
   * AWS writes it in causes and in EvaluationFailed's `location` (`Output/result`, `Arguments/ids[0]`).
   */
  async evaluate(expression: string, scope: EvaluationScope, field: string): Promise<Json> {
    const result = await this.evaluateRaw(expression, scope, field);
    if (result === undefined) throw queryError(scope, expression, field, 'returned nothing (undefined).');
    return toJson(result, (problem) => queryError(scope, expression, field, problem));
  }

  /** Evaluate without the JSON conversion (callers that check the result's type themselves, like Map's Items). */
  async evaluateRaw(expression: string, scope: EvaluationScope, field: string): Promise<unknown> {
    try {
      const compiled = this.compile(expression);
      return (await compiled.evaluate(undefined, { ...scope.variables, states: scope.states })) as unknown;
    } catch (error) {
      if (error instanceof StatesError) throw error;
      throw queryError(scope, expression, field, `threw an error during evaluation${jsonataMessage(error)}`);
    }
  }

  /**
   * Resolve a field value: `{% %}` strings anywhere inside it are evaluated, everything else is kept as is.
   * `field` names the field for error causes and `location` (`Arguments`, `Output`, `Assign/images`, ...).
   */
  async resolve(value: Json | undefined, scope: EvaluationScope, field: string): Promise<Json> {
    if (value === undefined) return null;
    const compiled = this.compileTemplate(value);
    if (compiled.constant) return compiled.value;
    return (await compiled.evaluate(scope, field)) as Json;
  }

  /** True when `value` contains no JSONata (so it can be used without evaluating). */
  isConstant(value: Json): boolean {
    return this.compileTemplate(value).constant;
  }

  private compileTemplate(value: Json): Compiled {
    if (typeof value === 'string') {
      let compiled = this.stringTemplates.get(value);
      if (!compiled) {
        const expression = jsonataExpression(value);
        compiled =
          expression === undefined
            ? { constant: true, value }
            : { constant: false, evaluate: (scope, field) => this.evaluate(expression, scope, field) };
        this.stringTemplates.set(value, compiled);
      }
      return compiled;
    }
    if (value === null || typeof value !== 'object') return { constant: true, value };
    const cached = this.templates.get(value);
    if (cached) return cached;
    let compiled: Compiled;
    if (Array.isArray(value)) {
      const parts = value.map((item) => this.compileTemplate(item));
      compiled = parts.every((p) => p.constant)
        ? { constant: true, value }
        : {
            constant: false,
            evaluate: async (scope, field) =>
              Promise.all(parts.map((p, i) => (p.constant ? p.value : p.evaluate(scope, `${field}[${i}]`)))),
          };
    } else {
      const entries = Object.entries(value).map(([key, item]) => [key, this.compileTemplate(item)] as const);
      compiled = entries.every(([, p]) => p.constant)
        ? { constant: true, value }
        : {
            constant: false,
            evaluate: async (scope, field) => {
              const out: Record<string, unknown> = {};
              for (const [key, part] of entries) {
                setOwn(out, key, part.constant ? part.value : await part.evaluate(scope, `${field}/${key}`));
              }
              return out;
            },
          };
    }
    this.templates.set(value, compiled);
    return compiled;
  }

  private registerAwsFunctions(expression: jsonata.Expression): void {
    expression.registerFunction('partition', (array: unknown, size: unknown) => {
      if (!Array.isArray(array)) throw new FunctionArgumentError('$partition: first argument must be an array');
      if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
        throw new FunctionArgumentError('$partition: chunk size must be a positive integer');
      }
      const chunks = sequence<unknown[]>();
      for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
      return chunks;
    });
    expression.registerFunction('range', (start: unknown, end: unknown, step: unknown) => {
      if (![start, end, step].every((n) => typeof n === 'number' && Number.isInteger(n)) || step === 0) {
        throw new FunctionArgumentError('$range: start, end and a non-zero step must be integers');
      }
      const [from, to, by] = [start, end, step] as number[];
      const values = sequence<number>();
      for (let n = from; by > 0 ? n <= to : n >= to; n += by) {
        values.push(n);
        if (values.length > 1000) throw new FunctionArgumentError('$range: result exceeds 1000 items');
      }
      return values;
    });
    expression.registerFunction('hash', (data: unknown, algorithm: unknown) => {
      if (typeof data !== 'string') throw new FunctionArgumentError('$hash: data must be a string');
      const name = typeof algorithm === 'string' ? HASH_ALGORITHMS[algorithm] : undefined;
      if (!name) {
        throw new FunctionArgumentError(`$hash: algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
      }
      return createHash(name).update(data).digest('hex');
    });
    expression.registerFunction('random', (seed?: unknown) => {
      if (seed === undefined) return this.random();
      if (typeof seed !== 'number' && typeof seed !== 'string') {
        throw new FunctionArgumentError('$random: seed must be a number or a string');
      }
      return seededRandom(seed)();
    });
    expression.registerFunction('uuid', () => uuidFrom(this.random));
    expression.registerFunction('parse', (text: unknown) => {
      if (typeof text !== 'string') throw new FunctionArgumentError('$parse: argument must be a string');
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new FunctionArgumentError(`$parse: ${(error as Error).message}`);
      }
    });
    const clockNow = this.now;
    expression.registerFunction('millis', () => clockNow());
    expression.registerFunction('now', function (this: jsonata.Focus, picture?: unknown, timezone?: unknown) {
      const millis = clockNow();
      if (picture === undefined && timezone === undefined) return new Date(millis).toISOString();
      const fromMillis = this.environment.lookup('fromMillis') as { implementation: (...args: unknown[]) => unknown };
      return fromMillis.implementation(millis, picture, timezone);
    });
    expression.registerFunction('eval', () => {
      throw new FunctionArgumentError('$eval is not supported by Step Functions; use $parse');
    });
  }
}

function queryError(scope: EvaluationScope, expression: string, field: string, problem: string, forField = 'specified for the field'): StatesError {
  return new StatesError(
    StatesErrors.QueryEvaluationError,
    `${statePrefix(scope)}The JSONata expression '${expression.trim()}' ${forField} '${field}' ${problem}`,
    field,
  );
}

/** `… returned an unexpected result type. Expected 'array', but was 'number' for value: 1` (AWS's text). */
export function unexpectedResultType(scope: EvaluationScope, expression: string, field: string, expected: string, value: unknown): StatesError {
  // LocalStack's AWS-derived text for this case drops "specified" ("… for the field 'Items' returned an unsupported …").
  if (isFunctionValue(value)) return queryError(scope, expression, field, 'returned an unsupported result type.', 'for the field');
  return queryError(scope, expression, field, `returned an unexpected result type. Expected '${expected}', but was '${jsonTypeName(value)}' for value: ${JSON.stringify(value)}`);
}

/** A JSONata function value: a JS function, a built-in (`$sum`) or a lambda (`function($x){…}`). */
export function isFunctionValue(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const marked = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return marked._jsonata_function === true || marked._jsonata_lambda === true;
}

/** Raise AWS's "returned nothing (undefined)." for `field`. */
export function returnedNothing(scope: EvaluationScope, expression: string, field: string): StatesError {
  return queryError(scope, expression, field, 'returned nothing (undefined).');
}

/** The JSON type name AWS uses in its causes. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** AWS's opening sentence of every evaluation error cause. */
export function statePrefix(where: { stateName: string; enteredEventId: number }): string {
  return `An error occurred while executing the state '${where.stateName}' (entered at the event id #${where.enteredEventId}). `;
}

/**
 * The tail of "threw an error during evaluation": jsonata 2.0.6 throws plain objects `{code, message}`; AWS
 * writes `. <code>: <message>` for those and `: <message>` for an error without a code (the functions AWS adds).
 */
function jsonataMessage(error: unknown): string {
  if (error instanceof FunctionArgumentError) return `: ${error.message}`;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return `. ${code}: ${message}`;
    if (typeof message === 'string') return `: ${message}`;
  }
  return `: ${String(error)}`;
}

/** A JSONata sequence: one item collapses to the item, none to undefined, `[]` in the path keeps the array. */
function sequence<T>(): T[] {
  const items: T[] = [];
  Object.defineProperty(items, 'sequence', { value: true });
  return items;
}

/** Copy a JSONata result into plain JSON (drops JSONata's sequence flags; refuses functions, NaN, Infinity). */
export function toJson(value: unknown, fail: (problem: string) => Error): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw fail('returned an unsupported result type.');
      return value;
    case 'undefined':
      return null;
    case 'function':
      throw fail('returned an unsupported result type.');
    case 'object': {
      if (value === null) return null;
      if (isFunctionValue(value)) throw fail('returned an unsupported result type.');
      if (Array.isArray(value)) return value.map((item) => toJson(item, fail));
      const out: Record<string, Json> = {};
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined) setOwn(out, key, toJson(item, fail));
      }
      return out;
    }
    default:
      throw fail('returned an unsupported result type.');
  }
}

/** `target[key] = value` as a data property, so a `__proto__` key stays data (as JSON.parse makes it). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
