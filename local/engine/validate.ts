/**
 * CreateStateMachine's check: the definition must be well formed ASL *and* inside the surface this engine
 * implements. Everything outside it — JSONPath states, Distributed Map, ItemReader, Activities, `.sync`
 * integrations, unknown fields — is refused with the state's name and the feature, never ignored.
 */
import { jsonataExpression, type Catcher, type Json, type Retrier, type State, type StateMachineDefinition } from './asl';
import { InvalidDefinition } from './errors';
import { parseOffsetDateTime } from './timestamps';
import type { QueryEvaluator } from './query';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const FLOW = ['Next', 'End'];
const ALLOWED: Record<string, string[]> = {
  Pass: [...COMMON, ...FLOW, 'Output', 'Assign'],
  Task: [...COMMON, ...FLOW, 'Resource', 'Arguments', 'Output', 'Assign', 'TimeoutSeconds', 'HeartbeatSeconds', 'Retry', 'Catch'],
  Choice: [...COMMON, 'Choices', 'Default', 'Output', 'Assign'],
  Wait: [...COMMON, ...FLOW, 'Seconds', 'Timestamp', 'Output', 'Assign'],
  Succeed: [...COMMON, 'Output'],
  Fail: [...COMMON, 'Error', 'Cause'],
  Parallel: [...COMMON, ...FLOW, 'Branches', 'Arguments', 'Output', 'Assign', 'Retry', 'Catch'],
  Map: [
    ...COMMON,
    ...FLOW,
    'Items',
    'ItemSelector',
    'ItemProcessor',
    'MaxConcurrency',
    'ToleratedFailureCount',
    'ToleratedFailurePercentage',
    'Output',
    'Assign',
    'Retry',
    'Catch',
  ],
};
const JSONPATH_FIELDS = new Set([
  'InputPath',
  'OutputPath',
  'Parameters',
  'ResultPath',
  'ResultSelector',
  'Result',
  'ItemsPath',
  'Iterator',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'MaxConcurrencyPath',
  'ToleratedFailureCountPath',
  'ToleratedFailurePercentagePath',
]);
/** Fields only JSONata states have (a JSONPath state using one is refused by AWS too). */
const JSONATA_ONLY_FIELDS = new Set(['Arguments', 'Output', 'Items', 'ItemSelector']);
const DISTRIBUTED_FIELDS = new Set(['ItemReader', 'ItemBatcher', 'ResultWriter', 'Label']);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PREDEFINED_ERRORS = /^States\.(ALL|HeartbeatTimeout|Timeout|TaskFailed|Permissions|ResultPathMatchFailure|ParameterPathFailure|QueryEvaluationError|BranchFailed|NoChoiceMatched|IntrinsicFailure|ExceedToleratedFailureThreshold|ItemReaderFailed|ResultWriterFailed|Runtime|DataLimitExceeded)$/;

/** What a Task's Resource means to the engine. */
export type ResourceKind =
  | { kind: 'lambda:invoke'; waitForTaskToken: boolean }
  | { kind: 'lambda:function'; functionArn: string }
  | { kind: 'aws-sdk'; service: string; action: string; waitForTaskToken: boolean };

/** Classify a Task Resource, or return why the local engine cannot run it. */
export function parseResource(resource: string): ResourceKind | { unsupported: string } {
  if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda:invoke', waitForTaskToken: false };
  if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
    return { kind: 'lambda:invoke', waitForTaskToken: true };
  }
  if (/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { kind: 'lambda:function', functionArn: resource };
  }
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)(\.[a-zA-Z]+)?$/.exec(resource);
  if (sdk) {
    if (sdk[3] && sdk[3] !== '.waitForTaskToken') {
      return { unsupported: `the "${sdk[3].slice(1)}" integration pattern (only request-response and .waitForTaskToken are implemented)` };
    }
    return { kind: 'aws-sdk', service: sdk[1], action: sdk[2], waitForTaskToken: sdk[3] === '.waitForTaskToken' };
  }
  if (/:activity:/.test(resource)) return { unsupported: 'Activities' };
  if (resource.endsWith('.sync') || resource.includes('.sync:')) return { unsupported: `.sync integrations (${resource})` };
  return { unsupported: `the service integration ${resource}` };
}

/** Throw InvalidDefinition listing every problem, or return normally. */
export function validateDefinition(definition: unknown, query: QueryEvaluator): asserts definition is StateMachineDefinition {
  const problems: string[] = [];
  if (!isRecord(definition)) throw new InvalidDefinition(['the definition must be a JSON object']);
  const topLanguage = typeof definition.QueryLanguage === 'string' ? definition.QueryLanguage : 'JSONPath';
  if (definition.TimeoutSeconds !== undefined && !isNonNegativeInteger(definition.TimeoutSeconds)) {
    problems.push('TimeoutSeconds must be a positive integer');
  }
  for (const key of Object.keys(definition)) {
    if (!['Comment', 'QueryLanguage', 'StartAt', 'States', 'TimeoutSeconds', 'Version'].includes(key)) {
      problems.push(`top-level field "${key}" is not supported by the local engine`);
    }
  }
  checkMachine(definition as unknown as StateMachineDefinition, '', topLanguage, new Set(), problems, query);
  if (problems.length > 0) throw new InvalidDefinition(problems);
}

function checkMachine(
  machine: StateMachineDefinition,
  where: string,
  language: string,
  outerVariables: ReadonlySet<string>,
  problems: string[],
  query: QueryEvaluator,
): void {
  if (!isRecord(machine.States) || Object.keys(machine.States).length === 0) {
    problems.push(`${where}"States" must be a non-empty object`);
    return;
  }
  if (typeof machine.StartAt !== 'string' || !(machine.StartAt in machine.States)) {
    problems.push(`${where}StartAt "${String(machine.StartAt)}" does not name a state`);
  }
  const names = new Set(Object.keys(machine.States));
  const assignedHere = new Set<string>();
  for (const [name, state] of Object.entries(machine.States)) {
    for (const variable of assignedNames(state)) assignedHere.add(variable);
    if (name.length > 80) problems.push(`${where}state name "${name.slice(0, 20)}…" is longer than 80 characters`);
  }
  const visible = new Set([...outerVariables, ...assignedHere]);
  for (const [name, state] of Object.entries(machine.States)) {
    const at = `${where}State "${name}"`;
    if (!isObject(state)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    const stateLanguage = state.QueryLanguage ?? language;
    if (stateLanguage !== 'JSONata') {
      const before = problems.length;
      checkLanguageNeutral(state, at, problems);
      if (problems.length > before) continue;
    }
    const allowed = ALLOWED[state.Type];
    if (!allowed) {
      problems.push(`${at}: state type "${String(state.Type)}" is not supported`);
      continue;
    }
    for (const key of Object.keys(state)) {
      if (allowed.includes(key)) continue;
      if (JSONPATH_FIELDS.has(key)) problems.push(`${at} (${state.Type}): the JSONPath field "${key}" is not supported; use Arguments/Output/Assign`);
      else if (DISTRIBUTED_FIELDS.has(key)) problems.push(`${at} (${state.Type}): "${key}" (Distributed Map) is not supported by the local engine`);
      else if (key === 'Credentials') problems.push(`${at} (${state.Type}): "Credentials" (cross-account task role) is not supported by the local engine`);
      else problems.push(`${at} (${state.Type}): field "${key}" is not supported by the local engine`);
    }
    checkTransition(state, at, names, problems);
    checkExpressions(state, at, problems, query);
    for (const variable of assignedNames(state)) {
      if (!VARIABLE_NAME.test(variable) || variable === 'states') {
        problems.push(`${at}: "${variable}" is not a valid variable name`);
      } else if (outerVariables.has(variable)) {
        problems.push(`${at}: variable "${variable}" is assigned in an outer scope and cannot be assigned inside a Map or Parallel`);
      }
    }
    switch (state.Type) {
      case 'Task': {
        const parsed = typeof state.Resource === 'string' ? parseResource(state.Resource) : { unsupported: 'a missing Resource' };
        if ('unsupported' in parsed) problems.push(`${at} (Task): ${parsed.unsupported} is not supported by the local engine`);
        for (const field of ['TimeoutSeconds', 'HeartbeatSeconds'] as const) {
          const value = state[field];
          if (value !== undefined && jsonataExpression(value) === undefined && !(isNonNegativeInteger(value) && value > 0)) {
            problems.push(`${at} (Task): ${field} must be a positive integer or a JSONata expression`);
          }
        }
        if (typeof state.TimeoutSeconds === 'number' && typeof state.HeartbeatSeconds === 'number' && state.HeartbeatSeconds >= state.TimeoutSeconds) {
          problems.push(`${at} (Task): HeartbeatSeconds must be smaller than TimeoutSeconds`);
        }
        checkRetryCatch(state.Retry, state.Catch, at, names, problems);
        break;
      }
      case 'Choice':
        if (!Array.isArray(state.Choices) || state.Choices.length === 0) problems.push(`${at} (Choice): Choices must be a non-empty array`);
        for (const [i, rule] of (state.Choices ?? []).entries()) {
          if (!isObject(rule)) continue;
          for (const key of Object.keys(rule)) {
            if (!['Condition', 'Next', 'Output', 'Assign', 'Comment'].includes(key)) {
              problems.push(`${at} (Choice): rule ${i} field "${key}" is not supported (JSONata rules use Condition)`);
            }
          }
          if (rule.Condition === undefined) problems.push(`${at} (Choice): rule ${i} has no Condition`);
          if (!names.has(rule.Next)) problems.push(`${at} (Choice): rule ${i} Next "${rule.Next}" does not name a state`);
        }
        if (state.Default !== undefined && !names.has(state.Default)) problems.push(`${at} (Choice): Default "${state.Default}" does not name a state`);
        break;
      case 'Wait':
        if ((state.Seconds === undefined) === (state.Timestamp === undefined)) {
          problems.push(`${at} (Wait): exactly one of Seconds or Timestamp is required`);
        }
        if (typeof state.Timestamp === 'string' && jsonataExpression(state.Timestamp) === undefined && parseOffsetDateTime(state.Timestamp) === undefined) {
          problems.push(`${at} (Wait): the Timestamp value is not a valid ISO-8601 extended offset date-time format string: '${state.Timestamp}'`);
        }
        break;
      case 'Parallel':
        if (!Array.isArray(state.Branches) || state.Branches.length === 0) problems.push(`${at} (Parallel): Branches must be a non-empty array`);
        for (const [i, branch] of (state.Branches ?? []).entries()) {
          checkMachine(branch, `${at} branch ${i} > `, stateLanguage, visible, problems, query);
        }
        checkRetryCatch(state.Retry, state.Catch, at, names, problems);
        break;
      case 'Map': {
        const processor = state.ItemProcessor;
        if (!isObject(processor)) {
          problems.push(`${at} (Map): ItemProcessor is required`);
          break;
        }
        const mode = processor.ProcessorConfig?.Mode;
        if (mode !== undefined && mode !== 'INLINE') {
          problems.push(`${at} (Map): Distributed Map (ProcessorConfig.Mode ${mode}) is not supported by the local engine`);
          break;
        }
        for (const key of Object.keys(processor)) {
          if (!['StartAt', 'States', 'ProcessorConfig', 'Comment', 'QueryLanguage'].includes(key)) {
            problems.push(`${at} (Map): ItemProcessor field "${key}" is not supported`);
          }
        }
        checkMachine(processor, `${at} item processor > `, processor.QueryLanguage ?? stateLanguage, visible, problems, query);
        checkRetryCatch(state.Retry, state.Catch, at, names, problems);
        break;
      }
      default:
        break;
    }
  }
}

/**
 * A JSONPath state (its own QueryLanguage, or the definition's default) runs here only when it uses nothing
 * whose meaning depends on the query language — a Pass with Next/End, a Fail with a constant Error/Cause, a
 * constant Assign, a Task with a Resource and no Parameters, Retry, a Catch without ResultPath, a Wait with a
 * constant Seconds/Timestamp, Map/Parallel without paths — because such a state behaves identically under
 * JSONata. JSONPath paths, Parameters/ResultSelector/ResultPath/InputPath/OutputPath, `.$` keys (paths and
 * States.* intrinsics), JSONPath Choice rules and the JSONata-only fields stay refused, by name.
 */
function checkLanguageNeutral(state: State, at: string, problems: string[]): void {
  const refuse = (what: string) =>
    problems.push(`${at} (${state.Type}): ${what} in a JSONPath state is not supported by the local engine; set QueryLanguage to "JSONata"`);
  if (state.Type === 'Choice') {
    refuse('Choice rules (JSONPath Variable/comparison operators)');
    return;
  }
  for (const key of Object.keys(state)) {
    if (JSONPATH_FIELDS.has(key)) refuse(`the JSONPath field "${key}"`);
    else if (JSONATA_ONLY_FIELDS.has(key)) refuse(`the JSONata field "${key}"`);
  }
  const visit = (value: unknown, field: string) => {
    if (jsonataExpression(value) !== undefined) refuse(`a {% %} string in ${field} (a literal in JSONPath)`);
    else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${field}[${i}]`));
    else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k.endsWith('.$')) refuse(`the path or intrinsic "${k}" in ${field}`);
        else visit(v, `${field}.${k}`);
      }
    }
  };
  for (const key of ['Assign', 'Error', 'Cause', 'Seconds', 'Timestamp', 'TimeoutSeconds', 'HeartbeatSeconds', 'MaxConcurrency', 'ToleratedFailureCount', 'ToleratedFailurePercentage']) {
    visit((state as unknown as Record<string, unknown>)[key], key);
  }
  const catchers = 'Catch' in state ? (state.Catch ?? []) : [];
  for (const [i, catcher] of catchers.entries()) {
    if (!isObject(catcher)) continue;
    for (const key of Object.keys(catcher)) {
      if (key === 'ResultPath') refuse(`the JSONPath field "ResultPath" of Catch[${i}]`);
      if (key === 'Output') refuse(`the JSONata field "Output" of Catch[${i}]`);
    }
    visit(catcher.Assign, `Catch[${i}].Assign`);
  }
}

function checkTransition(state: State, at: string, names: Set<string>, problems: string[]): void {
  if (state.Type === 'Choice' || state.Type === 'Succeed' || state.Type === 'Fail') return;
  if ((state.Next === undefined) === (state.End !== true)) {
    problems.push(`${at} (${state.Type}): exactly one of Next or "End": true is required`);
  } else if (state.Next !== undefined && !names.has(state.Next)) {
    problems.push(`${at} (${state.Type}): Next "${state.Next}" does not name a state`);
  }
}

function checkRetryCatch(retry: Retrier[] | undefined, catchers: Catcher[] | undefined, at: string, names: Set<string>, problems: string[]): void {
  const checkErrors = (list: unknown, label: string, last: boolean) => {
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${at}: ${label} ErrorEquals must be a non-empty array`);
      return;
    }
    for (const name of list) {
      if (typeof name !== 'string') problems.push(`${at}: ${label} ErrorEquals holds a non-string`);
      else if (name.startsWith('States.') && !PREDEFINED_ERRORS.test(name)) problems.push(`${at}: ${label} "${name}" is not a predefined error`);
    }
    if (list.includes('States.ALL') && (list.length > 1 || !last)) {
      problems.push(`${at}: ${label} States.ALL must appear alone and in the last element`);
    }
  };
  for (const [i, retrier] of (retry ?? []).entries()) {
    checkErrors(retrier.ErrorEquals, `Retry[${i}]`, i === (retry ?? []).length - 1);
    if (retrier.MaxAttempts !== undefined && !isNonNegativeInteger(retrier.MaxAttempts)) problems.push(`${at}: Retry[${i}] MaxAttempts must be an integer >= 0`);
    if (retrier.IntervalSeconds !== undefined && !(isNonNegativeInteger(retrier.IntervalSeconds) && retrier.IntervalSeconds >= 1)) problems.push(`${at}: Retry[${i}] IntervalSeconds must be an integer >= 1`);
    if (retrier.BackoffRate !== undefined && !(typeof retrier.BackoffRate === 'number' && retrier.BackoffRate >= 1)) problems.push(`${at}: Retry[${i}] BackoffRate must be >= 1.0`);
    if (retrier.MaxDelaySeconds !== undefined && !(isNonNegativeInteger(retrier.MaxDelaySeconds) && retrier.MaxDelaySeconds >= 1)) problems.push(`${at}: Retry[${i}] MaxDelaySeconds must be an integer >= 1`);
    if (retrier.JitterStrategy !== undefined && retrier.JitterStrategy !== 'FULL' && retrier.JitterStrategy !== 'NONE') problems.push(`${at}: Retry[${i}] JitterStrategy must be FULL or NONE`);
    for (const key of Object.keys(retrier)) {
      if (!['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy', 'Comment'].includes(key)) {
        problems.push(`${at}: Retry[${i}] field "${key}" is not supported`);
      }
    }
  }
  for (const [i, catcher] of (catchers ?? []).entries()) {
    checkErrors(catcher.ErrorEquals, `Catch[${i}]`, i === (catchers ?? []).length - 1);
    if (!names.has(catcher.Next)) problems.push(`${at}: Catch[${i}] Next "${catcher.Next}" does not name a state`);
    for (const key of Object.keys(catcher)) {
      if (!['ErrorEquals', 'Next', 'Output', 'Assign', 'Comment'].includes(key)) {
        problems.push(`${at}: Catch[${i}] field "${key}" is not supported${JSONPATH_FIELDS.has(key) ? ' (JSONPath)' : ''}`);
      }
    }
  }
}

/** Syntax-check every `{% %}` string in the state's own fields (not inside nested branches). */
function checkExpressions(state: State, at: string, problems: string[], query: QueryEvaluator): void {
  const visit = (value: unknown, field: string) => {
    const expression = jsonataExpression(value);
    if (expression !== undefined) {
      const problem = query.syntaxProblem(expression);
      if (problem) problems.push(`${at}: the JSONata expression in ${field} does not parse: ${problem}`);
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${field}[${i}]`));
    else if (isRecord(value)) for (const [k, v] of Object.entries(value)) visit(v, `${field}.${k}`);
  };
  for (const [key, value] of Object.entries(state)) {
    if (key === 'Branches' || key === 'ItemProcessor' || key === 'Type' || key === 'Comment') continue;
    visit(value, key);
  }
}

function assignedNames(state: State): string[] {
  const names: string[] = [];
  const add = (assign: Record<string, Json> | undefined) => {
    if (isRecord(assign)) names.push(...Object.keys(assign));
  };
  add(state.Assign);
  if (state.Type === 'Choice') for (const rule of state.Choices ?? []) add(rule.Assign);
  if (state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel') for (const c of state.Catch ?? []) add(c.Assign);
  return names;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return isObject(value);
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
