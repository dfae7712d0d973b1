/**
 * Definitions from CDK: synthesize a CDK App or Stack in process and return what the local runtime needs
 * to run the *real* state machines with the *real* handlers:
 * - each `AWS::StepFunctions::StateMachine` as plain ASL JSON, with Fn::Join / Ref / Fn::GetAtt / Fn::Sub
 *   (and Fn::Select / Fn::Split) resolved to stable local values — a Lambda function becomes
 *   `arn:aws:lambda:<region>:<account>:function:<FunctionName or logical id>`;
 * - a map from each Lambda function ARN to its handler module, read from the resource Metadata our infra
 *   puts on every task function: `"gami:handler": { "entry": "<repo-relative .ts path>", "export": "handler" }`.
 *
 * Synthesize with bundling skipped (context `aws:cdk:bundling-stacks: []`, see `localApp`) so no esbuild or
 * Docker runs; the handler entry files are loaded directly instead (`loadHandler`).
 */
import * as path from 'node:path';
import { App, Stack, Stage, type AppProps } from 'aws-cdk-lib';
import type { Json, StateMachineDefinition } from '../engine/asl';
import type { LambdaHandler, LambdaRegistry } from '../engine/lambdas';

/** CDK context that turns asset bundling off for every stack (NodejsFunction then needs neither esbuild nor Docker). */
export const LOCAL_SYNTH_CONTEXT = { 'aws:cdk:bundling-stacks': [] as string[] };

/** A CDK App configured for local synthesis (bundling skipped). Build your stacks in it. */
export function localApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...LOCAL_SYNTH_CONTEXT, ...props.context } });
}

export interface LocalStateMachine {
  stackName: string;
  logicalId: string;
  name: string;
  stateMachineArn: string;
  roleArn: string;
  /** The ASL, resolved, as a JSON string (what CreateStateMachine takes) and parsed. */
  definitionString: string;
  definition: StateMachineDefinition;
}

export interface LocalFunction {
  stackName: string;
  logicalId: string;
  functionName: string;
  functionArn: string;
  /** Absolute path of the handler's entry file, from the `gami:handler` metadata. */
  entry: string;
  exportName: string;
  /** The function's environment variables, resolved like the definitions. */
  environment: Record<string, string>;
  /** The task's label: the directory of a `tasks/<label>/handler.ts` entry (else the entry's file name). */
  label: string;
  /** The template's `Timeout` in seconds (Lambda's default 3 s when the template sets none). */
  timeoutSeconds: number;
}

/** An EventBridge rule of a synthesized stack: its pattern and the Lambda functions it targets. */
export interface LocalEventRule {
  stackName: string;
  logicalId: string;
  /** The event pattern, resolved (state machine ARNs etc. as concrete strings). */
  eventPattern: Json;
  /** ARNs of the targets (functions; other target types are not run locally). */
  targetArns: string[];
}

/** An EventBridge rule with a schedule (`rate(1 hour)`, `cron(…)`): the runtime's timers invoke its targets. */
export interface LocalScheduledRule {
  stackName: string;
  logicalId: string;
  scheduleExpression: string;
  /** ARNs of the targets (functions; other target types are not run locally). */
  targetArns: string[];
}

export interface SynthesizedDefinitions {
  region: string;
  account: string;
  stateMachines: LocalStateMachine[];
  /** EventBridge rules (the runtime routes the events the local services emit to their targets). */
  eventRules: LocalEventRule[];
  /** EventBridge rules with a schedule expression (the runtime's timers fire them). */
  scheduledRules: LocalScheduledRule[];
  /** EventBridge Scheduler schedules of the stacks, resolved (CreateSchedule input; the runtime creates them). */
  schedules: Record<string, Json>[];
  /** CloudWatch metric alarms of the stacks, resolved (PutMetricAlarm input; the runtime creates them). */
  alarms: Record<string, Json>[];
  /** S3 buckets of the stacks, names resolved (the runtime creates them in the simulated account). */
  buckets: { name: string; versioned: boolean }[];
  /** Functions that carry `gami:handler` metadata, by function ARN. */
  functions: Record<string, LocalFunction>;
  /** Logical ids of Lambda functions without `gami:handler` metadata (e.g. CDK's own custom resources). */
  functionsWithoutHandler: string[];
}

export interface DefinitionsOptions {
  /** Used when a stack's env is not concrete. Default us-east-1 / 123456789012. */
  region?: string;
  account?: string;
  /** Directory the `gami:handler` entries are relative to. Default: the current working directory. */
  repoRoot?: string;
}

/** Thrown when a template cannot be turned into local definitions (unknown intrinsic, dangling reference). */
export class LocalSynthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSynthError';
  }
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

interface Template {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** Synthesize `scope` (an App, or a Stack whose App is synthesized) and extract definitions and handlers. */
export function definitionsFromCdk(scope: App | Stack, options: DefinitionsOptions = {}): SynthesizedDefinitions {
  const stage = scope instanceof Stack ? Stage.of(scope) : scope;
  if (!stage) throw new LocalSynthError('the stack is not inside an App or Stage');
  const assembly = stage.synth();
  const wanted = scope instanceof Stack ? [scope.artifactId] : undefined;
  const repoRoot = options.repoRoot ?? process.cwd();
  const result: SynthesizedDefinitions = {
    region: options.region ?? 'us-east-1',
    account: options.account ?? '123456789012',
    stateMachines: [],
    eventRules: [],
    scheduledRules: [],
    schedules: [],
    alarms: [],
    buckets: [],
    functions: {},
    functionsWithoutHandler: [],
  };
  const artifacts = assembly.stacks.filter((artifact) => !wanted || wanted.includes(artifact.id));
  // The result's region/account are those of the first stack with a concrete env (else the defaults).
  const first = artifacts.find((a) => concrete(a.environment.region));
  if (first && !options.region) result.region = concrete(first.environment.region) ?? result.region;
  const firstAccount = artifacts.find((a) => concrete(a.environment.account));
  if (firstAccount && !options.account) result.account = concrete(firstAccount.environment.account) ?? result.account;
  const resolverOf = (artifact: (typeof assembly.stacks)[number]) =>
    new Resolver((artifact.template as Template).Resources ?? {}, {
      region: concrete(artifact.environment.region) ?? result.region,
      account: concrete(artifact.environment.account) ?? result.account,
      stackName: artifact.stackName,
      exports,
    });
  // Cross-stack references (Fn::ImportValue) resolve against every stack's exported Outputs.
  const exports = new Map<string, () => Json>();
  for (const artifact of assembly.stacks) {
    for (const [outputId, output] of Object.entries((artifact.template as Template).Outputs ?? {})) {
      if (output.Export?.Name === undefined) continue;
      const exporter = resolverOf(artifact);
      exports.set(String(exporter.resolve(output.Export.Name, `${outputId}.Export.Name`)), () => exporter.resolve(output.Value, `${outputId}.Value`));
    }
  }
  for (const artifact of artifacts) {
    const account = concrete(artifact.environment.account) ?? result.account;
    const template = artifact.template as Template;
    const resolver = resolverOf(artifact);
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::Lambda::Function') {
        const handler = resource.Metadata?.['gami:handler'] as { entry?: string; export?: string } | undefined;
        if (!handler?.entry) {
          result.functionsWithoutHandler.push(logicalId);
          continue;
        }
        const functionArn = resolver.attribute(logicalId, 'Arn') as string;
        const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        result.functions[functionArn] = {
          stackName: artifact.stackName,
          logicalId,
          functionName: resolver.ref(logicalId) as string,
          functionArn,
          entry: path.resolve(repoRoot, handler.entry),
          exportName: handler.export ?? 'handler',
          environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolver.resolve(v, `Environment.${k}`))])),
          label: handlerLabel(handler.entry),
          timeoutSeconds: Number(resolver.resolve(resource.Properties?.Timeout ?? 3, `${logicalId}.Timeout`)),
        };
      }
      if (resource.Type === 'AWS::Scheduler::Schedule') {
        result.schedules.push(resolver.resolve(resource.Properties ?? {}, `${logicalId}.Properties`) as Record<string, Json>);
      }
      if (resource.Type === 'AWS::S3::Bucket' && resource.Properties?.BucketName !== undefined) {
        const versioning = resource.Properties.VersioningConfiguration as { Status?: string } | undefined;
        result.buckets.push({ name: String(resolver.ref(logicalId)), versioned: versioning?.Status === 'Enabled' });
      }
      if (resource.Type === 'AWS::CloudWatch::Alarm') {
        result.alarms.push(resolver.resolve(resource.Properties ?? {}, `${logicalId}.Properties`) as Record<string, Json>);
      }
      if (resource.Type === 'AWS::Events::Rule' && resource.Properties?.ScheduleExpression !== undefined && resource.Properties.State !== 'DISABLED') {
        const targets = (resource.Properties.Targets ?? []) as { Arn: unknown }[];
        result.scheduledRules.push({
          stackName: artifact.stackName,
          logicalId,
          scheduleExpression: String(resolver.resolve(resource.Properties.ScheduleExpression, `${logicalId}.ScheduleExpression`)),
          targetArns: targets.map((t, i) => String(resolver.resolve(t.Arn, `${logicalId}.Targets[${i}].Arn`))),
        });
      }
      if (resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern !== undefined) {
        const props = resource.Properties;
        const targets = (props.Targets ?? []) as { Arn: unknown }[];
        result.eventRules.push({
          stackName: artifact.stackName,
          logicalId,
          eventPattern: resolver.resolve(props.EventPattern, `${logicalId}.EventPattern`),
          targetArns: targets.map((t, i) => String(resolver.resolve(t.Arn, `${logicalId}.Targets[${i}].Arn`))),
        });
      }
      if (resource.Type === 'AWS::StepFunctions::StateMachine') {
        const props = resource.Properties ?? {};
        let definitionString: string;
        if (props.DefinitionString !== undefined) {
          definitionString = String(resolver.resolve(props.DefinitionString, `${logicalId}.DefinitionString`));
        } else if (props.Definition !== undefined) {
          definitionString = JSON.stringify(resolver.resolve(props.Definition, `${logicalId}.Definition`));
        } else {
          throw new LocalSynthError(`${logicalId}: DefinitionS3Location is not supported locally; use an inline definition`);
        }
        const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
        for (const [key, value] of Object.entries(substitutions)) {
          definitionString = definitionString.split(`\${${key}}`).join(String(resolver.resolve(value, `DefinitionSubstitutions.${key}`)));
        }
        result.stateMachines.push({
          stackName: artifact.stackName,
          logicalId,
          name: resolver.attribute(logicalId, 'Name') as string,
          stateMachineArn: resolver.attribute(logicalId, 'Arn') as string,
          roleArn: String(resolver.resolve(props.RoleArn ?? `arn:aws:iam::${account}:role/${logicalId}Role`, `${logicalId}.RoleArn`)),
          definitionString,
          definition: JSON.parse(definitionString) as StateMachineDefinition,
        });
      }
    }
  }
  return result;
}

/** Load a handler module's export: `require` under jest (swc transform) or tsx, else tsx's programmatic API. */
export async function loadHandler(entry: string, exportName = 'handler'): Promise<LambdaHandler> {
  return loadHandlerSync(entry, exportName);
}

function loadHandlerSync(entry: string, exportName: string): LambdaHandler {
  let module: Record<string, unknown>;
  const canRequireTs = process.env.JEST_WORKER_ID !== undefined || '.ts' in require.extensions;
  if (canRequireTs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry path is only known at run time
    module = require(entry) as Record<string, unknown>;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- tsx's CJS API is the documented way to require .ts here
    const tsx = require('tsx/cjs/api') as { require: (id: string, fromFile: string) => Record<string, unknown> };
    module = tsx.require(entry, __filename);
  }
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new LocalSynthError(`${entry} has no function export "${exportName}"`);
  return handler as LambdaHandler;
}

/**
 * Register every function of `definitions` in `registry`, loading each handler on its first invocation.
 * The function's own environment variables (from the template) are in `process.env` while its module loads
 * — where handlers parse their environment — and during the synchronous start of each invocation; they are
 * restored right after, so functions with different environments do not see each other's.
 */
export function registerFunctions(registry: LambdaRegistry, definitions: SynthesizedDefinitions): void {
  for (const fn of Object.values(definitions.functions)) {
    registry.register(
      fn.functionArn,
      () => {
        const handler = withEnvironment(fn.environment, () => loadHandlerSync(fn.entry, fn.exportName));
        const wrapped: LambdaHandler = (event, context) => withEnvironment(fn.environment, () => handler(event, context));
        return wrapped;
      },
      { label: fn.label, timeoutSeconds: fn.timeoutSeconds },
    );
  }
}

/** `tasks/prepare/handler.ts` → `prepare`; an entry elsewhere → its file name without extension. */
function handlerLabel(entry: string): string {
  const parts = entry.split(/[\\/]/);
  const at = parts.lastIndexOf('tasks');
  if (at >= 0 && parts.length === at + 3) return parts[at + 1];
  return (parts.pop() ?? entry).replace(/\.[cm]?[jt]s$/, '');
}

function withEnvironment<T>(variables: Record<string, string>, run: () => T): T {
  const previous = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  try {
    return run();
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function concrete(value: string | undefined): string | undefined {
  return value && !value.startsWith('unknown-') ? value : undefined;
}

/** ARN shapes of `Fn::GetAtt <id>.Arn` (and `Ref` values) per resource type, as AWS forms them. */
const ARN_FORMS: Record<string, (name: string, where: { region: string; account: string }) => string> = {
  'AWS::Lambda::Function': (n, w) => `arn:aws:lambda:${w.region}:${w.account}:function:${n}`,
  'AWS::IAM::Role': (n, w) => `arn:aws:iam::${w.account}:role/${n}`,
  'AWS::SNS::Topic': (n, w) => `arn:aws:sns:${w.region}:${w.account}:${n}`,
  'AWS::SQS::Queue': (n, w) => `arn:aws:sqs:${w.region}:${w.account}:${n}`,
  'AWS::DynamoDB::Table': (n, w) => `arn:aws:dynamodb:${w.region}:${w.account}:table/${n}`,
  'AWS::StepFunctions::StateMachine': (n, w) => `arn:aws:states:${w.region}:${w.account}:stateMachine:${n}`,
  'AWS::KMS::Key': (n, w) => `arn:aws:kms:${w.region}:${w.account}:key/${n}`,
  'AWS::SSM::Parameter': (n, w) => `arn:aws:ssm:${w.region}:${w.account}:parameter/${n.replace(/^\//, '')}`,
  'AWS::S3::Bucket': (n) => `arn:aws:s3:::${n}`,
  'AWS::Events::Rule': (n, w) => `arn:aws:events:${w.region}:${w.account}:rule/${n}`,
  // The partial ARN (no random suffix): GetSecretValue accepts it, and the local runtime seeds the secret by name.
  'AWS::SecretsManager::Secret': (n, w) => `arn:aws:secretsmanager:${w.region}:${w.account}:secret:${n}`,
};

/** Which property holds the physical name of a resource type (when the template sets one). */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SSM::Parameter': 'Name',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Events::Rule': 'Name',
  'AWS::SecretsManager::Secret': 'Name',
};

/** Resources whose Ref is their ARN rather than their name. */
const REF_IS_ARN = new Set(['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine', 'AWS::SecretsManager::Secret']);

class Resolver {
  constructor(
    private readonly resources: Record<string, CfnResource>,
    private readonly where: { region: string; account: string; stackName: string; exports: Map<string, () => Json> },
  ) {}

  resolve(value: unknown, at: string): Json {
    if (Array.isArray(value)) return value.map((item, i) => this.resolve(item, `${at}[${i}]`));
    if (value === null || typeof value !== 'object') return value as Json;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1], at);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, `${at}.${k}`)]));
  }

  ref(id: string): Json {
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return this.where.region;
      case 'AWS::AccountId':
        return this.where.account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.where.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.where.region}:${this.where.account}:stack/${this.where.stackName}/local`;
      case 'AWS::NoValue':
        return null;
    }
    const resource = this.resources[id];
    if (!resource) throw new LocalSynthError(`Ref to "${id}", which is not a resource of ${this.where.stackName}`);
    return REF_IS_ARN.has(resource.Type) ? this.attribute(id, 'Arn') : this.physicalName(id);
  }

  attribute(id: string, attribute: string): Json {
    const resource = this.resources[id];
    if (!resource) throw new LocalSynthError(`Fn::GetAtt on "${id}", which is not a resource of ${this.where.stackName}`);
    const name = this.physicalName(id);
    if (attribute === 'Arn') {
      const form = ARN_FORMS[resource.Type];
      return form ? form(name, this.where) : `arn:aws:local:${this.where.region}:${this.where.account}:${resource.Type.split('::').slice(1).join('-').toLowerCase()}/${name}`;
    }
    if (attribute === 'Name' || attribute.endsWith('Name')) return name;
    return `${name}.${attribute}`;
  }

  private physicalName(id: string): string {
    const resource = this.resources[id];
    const property = NAME_PROPERTY[resource.Type];
    const named = property ? resource.Properties?.[property] : undefined;
    return named !== undefined ? String(this.resolve(named, `${id}.${property}`)) : id;
  }

  private intrinsic(name: string, args: unknown, at: string): Json {
    switch (name) {
      case 'Ref':
        return this.ref(String(args));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(args) ? (args as string[]) : String(args).split('.');
        return this.attribute(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        return (this.resolve(parts, at) as Json[]).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(args) ? (args as [string, Record<string, unknown>]) : [String(args), {}];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, ref: string) => {
          if (ref in variables) return String(this.resolve(variables[ref], `${at}.${ref}`));
          const [id, attribute] = ref.split('.');
          return String(attribute ? this.attribute(id, attribute) : this.ref(id));
        });
      }
      case 'Fn::Select': {
        const [index, list] = args as [number | string, unknown];
        return (this.resolve(list, at) as Json[])[Number(index)];
      }
      case 'Fn::ImportValue': {
        const name = String(this.resolve(args, at));
        const exported = this.where.exports.get(name);
        if (!exported) throw new LocalSynthError(`${at}: Fn::ImportValue of "${name}", which no synthesized stack exports`);
        return exported();
      }
      case 'Fn::Split': {
        const [separator, text] = args as [string, unknown];
        return String(this.resolve(text, at)).split(separator);
      }
      default:
        throw new LocalSynthError(`${at}: the intrinsic ${name} is not supported by the local synthesizer`);
    }
  }
}
