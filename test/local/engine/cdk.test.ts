import * as path from 'node:path';
import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { VirtualClock } from '../../../local/clock';
import { definitionsFromCdk, localApp, registerFunctions, type SynthesizedDefinitions } from '../../../local/cdk';
import { LocalStepFunctions } from '../../../local/sfn';
import { approvals } from './fixtures/notify';
import { EngineTestStack } from './fixtures/stack';

const repoRoot = path.resolve(__dirname, '../../..');

describe('definitions from CDK, run on the local engine', () => {
  let definitions: SynthesizedDefinitions;
  let clock: VirtualClock;
  let service: LocalStepFunctions;
  let stateMachineArn: string;

  beforeAll(() => {
    const app = localApp();
    const stack = new EngineTestStack(app, 'EngineTest');
    definitions = definitionsFromCdk(stack, { repoRoot });
  });

  beforeEach(() => {
    clock = new VirtualClock(Date.UTC(2026, 0, 1));
    service = new LocalStepFunctions({ clock, region: definitions.region, account: definitions.account, seed: 3 });
    registerFunctions(service.engine.lambdas, definitions);
    const [lifecycle] = definitions.stateMachines;
    stateMachineArn = service.createStateMachine({ name: lifecycle.name, definition: lifecycle.definitionString, roleArn: lifecycle.roleArn }).stateMachineArn!;
    approvals.length = 0;
  });

  const start = (runId: string, overrides: Record<string, unknown> = {}) =>
    service.startExecution({
      stateMachineArn,
      name: runId,
      input: JSON.stringify({ runId, regions: ['eu-west-1', 'us-east-1', 'ap-south-1'], critical: 0, busyOnce: false, breakBake: false, ...overrides }),
    }).executionArn!;

  it('resolves ARNs to stable local values and maps every function to its handler entry', () => {
    const [lifecycle] = definitions.stateMachines;
    expect(lifecycle.stateMachineArn).toBe('arn:aws:states:eu-west-1:111122223333:stateMachine:engine-test-lifecycle');
    expect(lifecycle.definition.States['Bake Image']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'arn:aws:lambda:eu-west-1:111122223333:function:engine-test-bake' },
    });
    const entries = Object.fromEntries(Object.values(definitions.functions).map((f) => [f.functionName, path.relative(repoRoot, f.entry)]));
    expect(entries).toMatchObject({ 'engine-test-bake': 'test/local/engine/fixtures/bake.ts' });
    expect(Object.keys(definitions.functions)).toHaveLength(4);
  });

  it('happy path: retried bake, wait, parallel checks, approval by task token, Map distribution', async () => {
    // Prepare
    const executionArn = start('happy', { busyOnce: true });

    // Act: the approver answers 10 minutes after the request
    await clock.sleep(370_000);
    expect(approvals).toEqual([{ token: expect.any(String), imageId: 'ami-happy' }]);
    await clock.sleep(600_000);
    service.sendTaskSuccess({ taskToken: approvals[0].token, output: JSON.stringify({ approver: 'alice' }) });
    const result = await service.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({
      approver: 'alice',
      images: [
        { region: 'eu-west-1', imageId: 'ami-happy-eu-west-1' },
        { region: 'us-east-1', imageId: 'ami-happy-us-east-1' },
        { region: 'ap-south-1', imageId: 'ami-happy-ap-south-1' },
      ],
    });
    const events = service.executionRecord(executionArn).events;
    const bakeTries = events.filter((e) => e.type === 'TaskFailed' || e.type === 'TaskSucceeded').slice(0, 2);
    expect(bakeTries.map((e) => [e.type, e.timestamp - result.startDate!.getTime()])).toEqual([
      ['TaskFailed', 0],
      ['TaskSucceeded', 60_000],
    ]);
    expect(result.stopDate!.getTime() - result.startDate!.getTime()).toBe(970_000);
  });

  it('bake failure is caught, cleaned up and failed with the bake’s error', async () => {
    const result = await service.waitForExecution(start('broken', { breakBake: true }));
    expect([result.status, result.error]).toEqual(['FAILED', 'BakeFailed']);
    expect(JSON.parse(result.cause!)).toMatchObject({ errorMessage: 'component build failed for broken' });
  });

  it('critical findings take the gate’s rejection path', async () => {
    const result = await service.waitForExecution(start('critical', { critical: 2 }));
    expect([result.error, result.cause]).toEqual(['ScanGateFailed', '2 critical findings']);
    expect(approvals).toEqual([]);
  });

  it('an unanswered approval times out after an hour and fails closed', async () => {
    const result = await service.waitForExecution(start('silent'));
    expect(result.error).toBe('States.Timeout');
    expect(result.stopDate!.getTime() - result.startDate!.getTime()).toBe(300_000 + 3_600_000);
  });

  it('a rejection sent with SendTaskFailure is caught and fails the run', async () => {
    const executionArn = start('rejected');
    await clock.sleep(400_000);
    service.sendTaskFailure({ taskToken: approvals[0].token, error: 'ImageRejected', cause: 'banner missing' });
    const result = await service.waitForExecution(executionArn);
    expect([result.error, result.cause]).toEqual(['ImageRejected', 'banner missing']);
  });

  it('resolves cross-stack references (Fn::ImportValue) to the exporting stack’s local ARN', () => {
    // Prepare: the function lives in a shared stack, the state machine in another
    const app = localApp();
    const env = { region: 'eu-west-1', account: '111122223333' };
    const shared = new Stack(app, 'Shared', { env });
    const copy = new lambda.Function(shared, 'Copy', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), functionName: 'shared-copy' });
    (copy.node.defaultChild as CfnResource).addMetadata('gami:handler', { entry: 'test/local/engine/fixtures/copy.ts' });
    const consumer = new Stack(app, 'Consumer', { env });
    new sfn.StateMachine(consumer, 'Machine', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(tasks.LambdaInvoke.jsonata(consumer, 'Copy It', { lambdaFunction: copy })),
    });

    // Act
    const defs = definitionsFromCdk(app, { repoRoot });

    // Assess
    const machine = defs.stateMachines.find((m) => m.stackName === 'Consumer');
    expect(JSON.stringify(machine?.definition)).toContain('arn:aws:lambda:eu-west-1:111122223333:function:shared-copy');
    expect(defs.functions['arn:aws:lambda:eu-west-1:111122223333:function:shared-copy'].exportName).toBe('handler');
  });

  it('runs each handler with its function’s environment variables while it loads and is invoked', async () => {
    // Prepare
    const app = localApp();
    const stack = new Stack(app, 'Env', { env: { region: 'eu-west-1', account: '111122223333' } });
    const fn = new lambda.Function(stack, 'Env', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('x'),
      functionName: 'env-reporter',
      environment: { GAMI_TEST_STAGE: 'bake', STACK: stack.stackName },
    });
    (fn.node.defaultChild as CfnResource).addMetadata('gami:handler', { entry: 'test/local/engine/fixtures/env.ts' });
    const defs = definitionsFromCdk(stack, { repoRoot });
    const clock = new VirtualClock();
    const local = new LocalStepFunctions({ clock, region: defs.region, account: defs.account });
    registerFunctions(local.engine.lambdas, defs);

    // Act
    const result = await local.engine.lambdas.invoke('env-reporter', {}, { clock, requestId: 'r-1' });

    // Assess
    expect(defs.functions['arn:aws:lambda:eu-west-1:111122223333:function:env-reporter'].environment).toEqual({ GAMI_TEST_STAGE: 'bake', STACK: 'Env' });
    expect(result).toEqual({ atLoad: 'bake', atCall: 'bake' });
    expect(process.env.GAMI_TEST_STAGE).toBeUndefined();
  });

  it('registers each function with its template Timeout (default 3 s) and its task label', async () => {
    // Prepare
    const app = localApp();
    const stack = new Stack(app, 'Timeouts', { env: { region: 'eu-west-1', account: '111122223333' } });
    const withHandler = (id: string, entry: string, timeout?: Duration) => {
      const fn = new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), functionName: id, timeout });
      (fn.node.defaultChild as CfnResource).addMetadata('gami:handler', { entry });
    };
    withHandler('prepare-fn', 'tasks/prepare/handler.ts', Duration.seconds(90));
    withHandler('env-fn', 'test/local/engine/fixtures/env.ts');
    const defs = definitionsFromCdk(stack, { repoRoot });
    const local = new LocalStepFunctions({ clock: new VirtualClock(), region: defs.region, account: defs.account });

    // Act
    registerFunctions(local.engine.lambdas, defs);
    local.engine.lambdas.setFaultPlan({ rules: [{ function: 'prepare', kind: 'crash-before' }] });
    const crashed = await local.engine.lambdas.invoke('prepare-fn', {}, { clock: local.clock, requestId: 'r-1' }).catch((e: { error: string }) => e.error);

    // Assess
    const fn = (name: string) => defs.functions[`arn:aws:lambda:eu-west-1:111122223333:function:${name}`];
    expect([fn('prepare-fn').label, fn('prepare-fn').timeoutSeconds]).toEqual(['prepare', 90]);
    expect([fn('env-fn').label, fn('env-fn').timeoutSeconds]).toEqual(['env', 3]);
    expect(local.engine.lambdas.timeoutOf('prepare-fn')).toBe(90);
    expect(local.engine.lambdas.timeoutOf('env-fn')).toBe(3);
    expect(crashed).toBe('Runtime.ExitError');
    expect(local.engine.lambdas.injectedFaults).toEqual([{ function: 'prepare-fn', label: 'prepare', kind: 'crash-before', invocation: 1, requestId: 'r-1' }]);
  });
});
