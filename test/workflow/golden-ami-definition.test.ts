import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Template } from 'aws-cdk-lib/assertions';
import { validatePipelineFile } from '../../pipeline/validate';
import { FUNCTION_TIMEOUT_SECONDS, TASK_NAMES, type TaskName } from '../../tasks/contracts';
import { GoldenAmiWorkflow } from '../../workflows/golden-ami';
import { componentSteps } from '../../workflows/stages/instance';

const pipeline = validatePipelineFile('pipelines/example.yaml', { now: new Date('2026-11-22T00:00:00Z') }).pipeline!;

/** The workflow in a bare stack, with imported functions (ARN = task name) so the ASL is readable. */
function synthesize() {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const functions = Object.fromEntries(
    TASK_NAMES.map((t) => [t, lambda.Function.fromFunctionArn(stack, t, `arn:aws:lambda:eu-west-1:111111111111:function:${t}`)]),
  ) as Record<TaskName, lambda.IFunction>;
  const workflow = new GoldenAmiWorkflow(stack, 'Lifecycle', {
    pipeline,
    functions,
    topic: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:111111111111:gami-web-base-notifications'),
    logGroup: new logs.LogGroup(stack, 'Logs'),
    registryTableName: 'gami-registry-web-base',
  });
  const template = Template.fromStack(stack);
  const [resource] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definitionString = resource.Properties.DefinitionString;
  const part = (p: unknown) => (typeof p === 'string' ? p : (p as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : JSON.stringify(p));
  const text: string = typeof definitionString === 'string' ? definitionString : (definitionString['Fn::Join'][1] as unknown[]).map(part).join('');
  return { workflow, template, definition: JSON.parse(text) as Definition };
}

interface StateJson {
  Type: string;
  Next?: string;
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number; JitterStrategy?: string }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; Assign?: Record<string, unknown> }>;
  Arguments?: Record<string, unknown>;
  ItemProcessor?: { States: Record<string, StateJson> };
  [key: string]: unknown;
}
interface Definition {
  QueryLanguage: string;
  StartAt: string;
  States: Record<string, StateJson>;
  TimeoutSeconds: number;
}

describe('golden-ami workflow definition', () => {
  const { definition, template } = synthesize();
  const states = definition.States;

  it('is a JSONata Standard workflow with X-Ray, logging without execution data, and a run timeout', () => {
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.StartAt).toBe('Start Run');
    // 9 h for bake, test and retention, the scan's 60 minutes, the approval's 72 hours, two attempts of the copies
    // (one wave: 2 regions, 2 at a time) of 6 h each, and the instance refreshes' (120 min) plus one back-off step.
    expect(definition.TimeoutSeconds).toBe(9 * 3600 + 60 * 60 + 72 * 3600 + 2 * 6 * 3600 + 125 * 60);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
  });

  it('routes every top-level task to the failure path, data limits included, with the stage and a closed-set error', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task' || s.Type === 'Map');
    const failurePath = new Set(['Reject Run Images', 'Restore Published Parameters', 'Terminate Run Instances', 'Deregister Run Copies', 'Mark Record Failed', 'Notify Failure']);
    // The launch template stage's update, check and approval go to its rollback first, which then fails into the failure path
    // with LaunchTemplateUpdateFailed (its own test: test/workflow/launch-templates.test.ts); the rollback is caught.
    const toRollback = new Set(['Update Launch Templates', 'Check Instance Refreshes', 'Mark Approved']);
    for (const name of toRollback) {
      expect({ name, catches: states[name].Catch?.map((c) => [c.ErrorEquals, c.Next]) }).toEqual({
        name,
        catches: [
          [['States.DataLimitExceeded'], 'Roll Back Launch Templates'],
          [['States.ALL'], 'Roll Back Launch Templates'],
        ],
      });
    }
    expect(states['Roll Back Launch Templates'].Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([[['States.ALL'], 'Launch Template Rollback Incomplete']]);
    // Retention's errors never reach the failure path (next test).
    const retention = new Set(['Plan Retention', 'Retire Batch', 'Report Retention', 'Record Retention Failed', 'Notify Retention Failed']);
    for (const [name, state] of tasks.filter(([n]) => !failurePath.has(n) && !toRollback.has(n) && !retention.has(n) && n !== 'Roll Back Launch Templates')) {
      // The approval's own time-out is ApprovalExpired, caught first (then the same catches as every task).
      const catches = name === 'Request Approval' ? state.Catch?.slice(1) : state.Catch;
      if (name === 'Request Approval') {
        expect(state.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], Next: 'Reject Run Images', Assign: { error: 'ApprovalExpired' } });
      }
      // States.ALL does not match States.DataLimitExceeded: it is caught by name, first.
      expect({ name, catches: catches?.map((c) => [c.ErrorEquals, c.Next]) }).toEqual({
        name,
        catches: [
          [['States.DataLimitExceeded'], 'Reject Run Images'],
          [['States.ALL'], 'Reject Run Images'],
        ],
      });
      expect(catches?.[1]?.Assign).toMatchObject({ error: expect.stringContaining("'StageFailed'") });
    }
    expect(tasks.length).toBeGreaterThan(15);
  });

  it('records and notifies a Retention failure, then succeeds: Retention never fails the release', () => {
    for (const name of ['Plan Retention', 'Retire Batch', 'Report Retention']) {
      expect({ name, catches: states[name].Catch?.map((c) => [c.ErrorEquals, c.Next]) }).toEqual({
        name,
        catches: [
          [['States.DataLimitExceeded'], 'Record Retention Failed'],
          [['States.ALL'], 'Record Retention Failed'],
        ],
      });
    }
    expect(states['Report Retention'].Next).toBe('Redistribution?');
    expect({ next: states['Record Retention Failed'].Next, caught: states['Record Retention Failed'].Catch?.map((c) => c.Next) }).toEqual({
      next: 'Notify Retention Failed',
      caught: ['Notify Retention Failed'],
    });
    expect({ next: states['Notify Retention Failed'].Next, caught: states['Notify Retention Failed'].Catch?.map((c) => c.Next) }).toEqual({
      next: 'Redistribution?',
      caught: ['Redistribution?'],
    });
    // Batches are paced: a Wait between them.
    expect((states['More Batches?'] as { Choices?: { Next: string }[] }).Choices?.[0]?.Next).toBe('Pace Retirements');
    expect(states['Pace Retirements']).toMatchObject({ Type: 'Wait', Seconds: 20, Next: 'Retire Batch' });
  });

  it('runs each clean-up action on after the one before gave up, and retries each on any error', () => {
    const chain = [
      ['Reject Run Images', 'Restore Published Parameters'],
      ['Restore Published Parameters', 'Terminate Run Instances'],
      ['Terminate Run Instances', 'Deregister Run Copies'],
      ['Deregister Run Copies', 'Mark Record Failed'],
      ['Mark Record Failed', 'Notify Failure'],
      ['Notify Failure', 'Failed'],
    ];
    for (const [name, next] of chain) {
      expect({ name, next: states[name].Next, caught: states[name].Catch?.map((c) => c.Next) }).toEqual({ name, next, caught: [next] });
      expect(states[name].Retry?.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 5 });
    }
  });

  it('gives every Lambda task a timeout just above its function timeout, and retries crashes and time-outs', () => {
    // Functions here are imported by ARN (name = task); the infra test checks the functions' own Timeout.
    const lambdaTasks = Object.entries(states).filter(([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke');
    for (const [name, state] of lambdaTasks) {
      const task = String((state.Arguments as { FunctionName: string }).FunctionName).split(':').at(-1) as TaskName;
      expect({ name, task: state.TimeoutSeconds }).toEqual({ name, task: FUNCTION_TIMEOUT_SECONDS[task] + 30 });
      expect(state.Retry?.[1]).toMatchObject({ ErrorEquals: ['Runtime.ExitError', 'Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'], MaxAttempts: 2 });
    }
  });

  it('retries transient errors with backoff and full jitter on every Lambda task', () => {
    const lambdaTasks = Object.entries(states).filter(([, s]) => s.Resource === 'arn:aws:states:::lambda:invoke');
    for (const [, state] of lambdaTasks) {
      expect(state.Retry?.[0]).toMatchObject({ MaxAttempts: 6, JitterStrategy: 'FULL' });
      expect(state.Retry?.[0].ErrorEquals).toEqual(expect.arrayContaining(['RequestLimitExceeded', 'Lambda.ServiceException']));
    }
  });

  it('embeds the configuration so input {} runs as configured', () => {
    expect(states['Launch Builder'].Arguments).toMatchObject({
      Payload: {
        purpose: 'build',
        instanceType: 't3.medium',
        subnetId: 'subnet-0a1b2c3d4e5f67890',
        securityGroupIds: ['sg-0123456789abcdef0'],
        instanceProfile: 'GamiBuilderInstanceProfile',
      },
    });
    expect(states['Evaluate Scan Gate'].Arguments).toMatchObject({
      Payload: { scanGate: { maxFindings: { CRITICAL: 0, HIGH: 3, MEDIUM: 5 } } },
    });
    const map = states['Run Build Steps'];
    expect(map.Items).toEqual(componentSteps(pipeline.components).build);
    expect(map.MaxConcurrency).toBe(1);
  });

  it('fails closed on a scan that never completes, after the configured timeout', () => {
    expect(states['Scan Complete?']).toMatchObject({
      Choices: [
        { Condition: "{% $scan.status = 'SCANNED' %}", Next: 'Evaluate Scan Gate' },
        { Condition: '{% $scanPolls < 60 %}', Next: 'Wait For Scan' },
      ],
      Default: 'Scan Timed Out',
    });
    expect(states['Scan Timed Out']).toMatchObject({ Assign: { error: 'ScanIncomplete', failedStage: 'ScanGate' }, Next: 'Reject Run Images' });
  });

  it('ends every failure in a Fail state carrying the named error', () => {
    expect(states.Failed).toEqual({ Type: 'Fail', Error: '{% $error %}', Cause: '{% $cause %}' });
    expect(states['Notify Failure'].Resource).toBe('arn:aws:states:::aws-sdk:sns:publish');
  });

  it('flattens components in AWSTOE order: build phases, then validate phases; test phases on the test instance', () => {
    const steps = componentSteps(pipeline.components);
    expect(steps.build.map((s) => `${s.component}/${s.phase}/${s.step}`)).toEqual([
      'os-update/build/UpdatePackages',
      'ssh-hardening/build/WriteHardenedConfig',
      'ssh-hardening/build/ReloadSshd',
      'cleanup/build/RemoveSshKeys',
      'cleanup/build/RemoveShellHistory',
      'cleanup/build/RemoveCredentials',
      'cleanup/build/RemoveTemporaryFiles',
      'cleanup/build/TruncateLogs',
      'os-update/validate/NoPendingUpdates',
      'ssh-hardening/validate/CheckSshdSettings',
      'cleanup/validate/NothingLeft',
    ]);
    expect(steps.test.map((s) => `${s.component}/${s.step}`)).toEqual(['ssh-hardening/SshdAcceptsConfig']);
  });
});
