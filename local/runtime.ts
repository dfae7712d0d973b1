/**
 * The local runtime: the real synthesized state machines, run by the local engine with the real task
 * handlers, against the simulated AWS account — all on one clock. Used by `npm start`, `gami` against the
 * local endpoint, and the workflow tests.
 *
 * The caller builds the CDK app (bin/ and test/ may import infra/; local/ may not) with
 * `LOCAL_SYNTH_CONTEXT` so nothing is bundled, and hands it over.
 */
import { Stack, Stage, type App } from 'aws-cdk-lib';
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { ConflictException, CreateScheduleCommand, SchedulerClient, type CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createClient } from '../tasks/clients';
import { definitionsFromCdk, registerFunctions, type LocalStateMachine, type SynthesizedDefinitions } from './cdk';
import type { Clock } from './clock';
import { Cloud, DEFAULT_SCENARIO } from './cloud';
import type { ScenarioInput } from './cloud/scenario';
import type { Json } from './engine/asl';
import type { EngineOptions } from './engine/engine';
import { EventRouter, type StatusChangeDelivery } from './events/router';
import { LocalTimers } from './events/timers';
import { LocalStepFunctions, registerLocalSfn } from './sfn';
import { ExecutionStore, persistExecutions } from './sfn/store';

export interface LocalRuntimeOptions {
  /** The CDK app (or one stack), built with LOCAL_SYNTH_CONTEXT. */
  app: App | Stack;
  clock: Clock;
  /** Scenario that seeds a new simulated account (default: the example world). */
  scenario?: string | ScenarioInput;
  /**
   * Persist the simulated account, and the Step Functions executions with their histories, under this
   * directory (e.g. `.gami`), so a later runtime or `gami … --local` sees them; default in memory.
   */
  stateDir?: string;
  /** Seed for the engine's random source (jitter, task tokens): reproducible runs. */
  seed?: number | string;
  /** Account of stacks without a concrete env account (default: the example tooling account). */
  account?: string;
  /** Called for every history event of every execution as it is written (live views, fault injection). */
  onEvent?: EngineOptions['onEvent'];
  /**
   * Where approval links point (GAMI_APPROVAL_BASE_URL of the functions): the local server's origin. Default
   * DEFAULT_APPROVAL_BASE_URL (`gami serve`'s address); `setApprovalBaseUrl` changes it once a server listens.
   */
  approvalBaseUrl?: string;
  /**
   * Fire what fires on its own in the account, on the runtime's clock: scheduled EventBridge rules, EventBridge
   * Scheduler schedules and CloudWatch alarm evaluation (local/events/timers.ts). `true` starts them; `'manual'`
   * creates them for the caller to `start()` (a test on a virtual clock, when it is ready). Default off.
   */
  timers?: boolean | 'manual';
}

/** `gami serve`'s default address: approval links of a runtime without a server of its own point there. */
export const DEFAULT_APPROVAL_BASE_URL = 'http://127.0.0.1:8787';

/** Credentials the local runtime hands to clients of an account: its first access key in the simulated world. */
function credentialsOf(cloud: Cloud, account: string): { accessKeyId: string; secretAccessKey: string } {
  const key = Object.entries(cloud.world.state.accessKeys).find(([, record]) => record.accountId === account)?.[0];
  if (!key) throw new Error(`the simulated world has no access key for account ${account} (add one to the scenario)`);
  return { accessKeyId: key, secretAccessKey: 'local' };
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/**
 * Create what the stacks would create in the account before any state machine runs: SNS topics (and their
 * email subscriptions with filter policies), DynamoDB tables with the names and keys of the synthesized
 * templates, and Secrets Manager secrets (a generated value, like GenerateSecretString) — idempotent, so a
 * resumed world keeps its data and its signing key.
 * Create what the stacks would create in the account before any state machine runs: SNS topics, DynamoDB
 * tables and named S3 buckets with the names, keys and versioning of the synthesized templates (idempotent,
 * so a resumed world keeps its data).
 */
async function deployStatefulResources(scope: App | Stack, cloud: Cloud, definitions: SynthesizedDefinitions): Promise<void> {
  const stage = scope instanceof Stack ? Stage.of(scope) : scope;
  if (!stage) throw new Error('the stack is not inside an App or Stage');
  const assembly = stage.synth(); // already synthesized by definitionsFromCdk: returns the same assembly
  const config = { region: definitions.region, credentials: credentialsOf(cloud, definitions.account) };
  const sns = createClient(SNSClient, config);
  const secrets = createClient(SecretsManagerClient, config);
  try {
    for (const artifact of assembly.stacks) {
      const byId = (artifact.template as { Resources?: Record<string, TemplateResource> }).Resources ?? {};
      const resources = Object.values(byId);
      const topicArns = new Map<string, string>();
      for (const [id, resource] of Object.entries(byId)) {
        const props = resource.Properties ?? {};
        if (resource.Type === 'AWS::SNS::Topic' && typeof props.TopicName === 'string') {
          topicArns.set(id, (await sns.send(new CreateTopicCommand({ Name: props.TopicName }))).TopicArn!);
        }
      }
      for (const resource of resources) {
        const props = resource.Properties ?? {};
        const topicRef = (props.TopicArn as { Ref?: string } | undefined)?.Ref;
        if (resource.Type === 'AWS::SNS::Subscription' && topicRef && topicArns.has(topicRef) && typeof props.Endpoint === 'string') {
          await sns.send(
            new SubscribeCommand({
              TopicArn: topicArns.get(topicRef),
              Protocol: String(props.Protocol),
              Endpoint: props.Endpoint,
              Attributes: props.FilterPolicy ? { FilterPolicy: JSON.stringify(props.FilterPolicy) } : undefined,
            }),
          );
        }
        if (resource.Type === 'AWS::SecretsManager::Secret' && typeof props.Name === 'string') {
          try {
            await secrets.send(new CreateSecretCommand({ Name: props.Name, SecretString: typeof props.SecretString === 'string' ? props.SecretString : undefined }));
          } catch (error) {
            if ((error as Error).name !== 'ResourceExistsException') throw error;
          }
        }
        if ((resource.Type === 'AWS::DynamoDB::GlobalTable' || resource.Type === 'AWS::DynamoDB::Table') && typeof props.TableName === 'string') {
          await cloud.ensureTable({
            TableName: props.TableName,
            KeySchema: props.KeySchema as KeySchemaElement[],
            AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
          });
        }
      }
    }
    const s3 = createClient(S3Client, config);
    try {
      for (const bucket of definitions.buckets) {
        try {
          await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
        } catch (error) {
          if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
        }
        if (bucket.versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket.name, VersioningConfiguration: { Status: 'Enabled' } }));
      }
    } finally {
      s3.destroy();
    }
    const cloudWatch = createClient(CloudWatchClient, config);
    try {
      // AWS::CloudWatch::Alarm's properties have the API's names (AlarmName, MetricName, AlarmActions, …).
      for (const alarm of definitions.alarms) await cloudWatch.send(new PutMetricAlarmCommand(alarm as unknown as PutMetricAlarmCommandInput));
    } finally {
      cloudWatch.destroy();
    }
    const scheduler = createClient(SchedulerClient, config);
    try {
      for (const schedule of definitions.schedules) {
        try {
          // AWS::Scheduler::Schedule's properties have the API's names and shapes (Name, Target.RoleArn, …).
          await scheduler.send(new CreateScheduleCommand(schedule as unknown as CreateScheduleCommandInput));
        } catch (error) {
          if (!(error instanceof ConflictException)) throw error;
        }
      }
    } finally {
      scheduler.destroy();
    }
  } finally {
    sns.destroy();
    secrets.destroy();
  }
}

/** Functions read their environment at each invocation (registerFunctions), so this applies from the next one. */
function setApprovalBaseUrl(definitions: SynthesizedDefinitions, url: string): void {
  const origin = new URL(url).origin;
  for (const fn of Object.values(definitions.functions)) {
    if ('GAMI_APPROVAL_BASE_URL' in fn.environment) fn.environment.GAMI_APPROVAL_BASE_URL = origin;
  }
}

export class LocalRuntime {
  private constructor(
    readonly cloud: Cloud,
    readonly stepFunctions: LocalStepFunctions,
    readonly definitions: SynthesizedDefinitions,
    /** State machine ARN by state machine name. */
    readonly stateMachines: Record<string, string>,
    /** The local EventBridge: status changes of executions, delivered to the stacks' rule targets. */
    readonly events: EventRouter,
    /** With the `timers` option: scheduled rules, schedules and alarm evaluation on the runtime's clock. */
    readonly timers: LocalTimers | undefined,
    private readonly restore: () => void,
    private readonly flushExecutions: () => void,
  ) {}

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const definitions = definitionsFromCdk(options.app, { account: options.account ?? '111111111111' });
    const cloud = await Cloud.start({ clock: options.clock, scenario: options.scenario ?? DEFAULT_SCENARIO, stateDir: options.stateDir });
    try {
      await deployStatefulResources(options.app, cloud, definitions);
      return LocalRuntime.assemble(options, definitions, cloud);
    } catch (error) {
      await cloud.stop();
      throw error;
    }
  }

  private static assemble(options: LocalRuntimeOptions, definitions: SynthesizedDefinitions, cloud: Cloud): LocalRuntime {
    const credentials = credentialsOf(cloud, definitions.account);

    // Handlers build clients from the Lambda environment: region and (here) the pipeline account's key.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: definitions.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;

    let persistence: ReturnType<typeof persistExecutions> | undefined;
    const stepFunctions = new LocalStepFunctions({
      clock: options.clock,
      region: definitions.region,
      account: definitions.account,
      seed: options.seed,
      onEvent: (execution, event) => {
        persistence?.changed(execution);
        options.onEvent?.(execution, event);
      },
      clientConfig: (_service, where) => ({ region: where.region, credentials: credentialsOf(cloud, where.account) }),
    });
    setApprovalBaseUrl(definitions, options.approvalBaseUrl ?? DEFAULT_APPROVAL_BASE_URL);
    // Executions of earlier runs (state directory): readable again through the API; one that was running when
    // its process ended cannot resume and is closed ABORTED (LocalStepFunctions.restore).
    const store = options.stateDir ? new ExecutionStore(options.stateDir) : undefined;
    if (store) {
      const saved = store.load(options.clock.now());
      persistence = persistExecutions(stepFunctions, store);
      if (saved) for (const record of stepFunctions.restore(saved)) persistence.changed(record);
      store.prune(options.clock.now());
      stepFunctions.engine.onStatusChange((record) => persistence?.changed(record));
    }
    registerFunctions(stepFunctions.engine.lambdas, definitions);
    const unregisterSfn = registerLocalSfn(stepFunctions);
    // As on AWS: every execution status change goes to EventBridge, and the stacks' rules (the one that cleans
    // up after ABORTED and TIMED_OUT executions) deliver it to their targets.
    const events = new EventRouter(definitions.eventRules, stepFunctions.engine.lambdas, options.clock);
    const unsubscribe = stepFunctions.onStatusChange((event) => events.publish(event as unknown as Json));

    const stateMachines: Record<string, string> = {};
    for (const machine of definitions.stateMachines) {
      const existing = stepFunctions.listStateMachines({ maxResults: 1000 }).stateMachines?.find((m) => m.name === machine.name);
      if (existing) {
        // A state machine of an earlier run: deployed again, as CloudFormation updates it (same ARN, history kept).
        stepFunctions.updateDefinition(existing.stateMachineArn!, machine.definitionString);
        stateMachines[machine.name] = existing.stateMachineArn!;
        continue;
      }
      stateMachines[machine.name] = stepFunctions.createStateMachine({
        name: machine.name,
        definition: machine.definitionString,
        roleArn: machine.roleArn,
      }).stateMachineArn!;
    }
    persistence?.saveStateMachines();
    const timers = options.timers
      ? new LocalTimers({
          clock: options.clock,
          world: cloud.world,
          account: definitions.account,
          region: definitions.region,
          rules: definitions.scheduledRules,
          invoke: (target, event) => events.dispatch(target, event),
          hasFunction: (arn) => stepFunctions.engine.lambdas.has(arn),
          startExecution: (stateMachineArn, input) => stepFunctions.startExecution({ stateMachineArn, input }).executionArn!,
        })
      : undefined;
    if (options.timers === true) timers?.start();
    const restore = () => {
      timers?.stop();
      unsubscribe();
      unregisterSfn();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    };
    return new LocalRuntime(cloud, stepFunctions, definitions, stateMachines, events, timers, restore, () => persistence?.flush());
  }

  /** Point approval links (every function's GAMI_APPROVAL_BASE_URL) at `url`, e.g. a local server's origin. */
  setApprovalBaseUrl(url: string): void {
    setApprovalBaseUrl(this.definitions, url);
  }

  /** The synthesized state machine named `name`. */
  machine(name: string): LocalStateMachine {
    const machine = this.definitions.stateMachines.find((m) => m.name === name);
    if (!machine) throw new Error(`no state machine named ${name} (have: ${this.definitions.stateMachines.map((m) => m.name).join(', ')})`);
    return machine;
  }

  /** A Step Functions client that talks to this runtime (the same client `gami` uses against AWS). */
  sfnClient(): SFNClient {
    return createClient(SFNClient, {
      region: this.definitions.region,
      credentials: credentialsOf(this.cloud, this.definitions.account),
    });
  }

  /**
   * Every delivery of an execution status change to a rule's target so far (the clean-up of stopped and
   * timed-out executions), once each — and any retries — have ended.
   */
  settled(): Promise<StatusChangeDelivery[]> {
    return this.events.settled();
  }

  async stop(): Promise<void> {
    this.timers?.stop();
    await this.events.settled();
    this.flushExecutions();
    this.restore();
    await this.cloud.stop();
  }
}
