import { EC2ServiceException } from '@aws-sdk/client-ec2';
import type { FinalizeHandlerArguments, FinalizeHandlerOutput, HandlerExecutionContext } from '@smithy/types';
import type { Context } from 'aws-lambda';
import { registerClientPlugin } from '../../../tasks/clients';
import { sdkErrorName } from '../../../local/engine';
import { fnArn, harness, machine, NamedError, output, types } from './helpers';

describe('Lambda tasks', () => {
  it('lambda:invoke returns the integration’s result document around the handler’s Payload', async () => {
    // Prepare
    let seen: { event: unknown; context?: Context } = { event: undefined };
    const { run } = harness({
      bake: async (event, context) => {
        seen = { event, context };
        return { imageId: 'ami-0abc' };
      },
    });

    // Act
    const record = await run(
      machine({
        Bake: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: fnArn('bake'), Payload: { base: '{% $states.input.base %}' } }, End: true },
      }),
      { base: 'al2023' },
    );

    // Assess
    const result = output(record) as Record<string, unknown>;
    expect(result).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { imageId: 'ami-0abc' },
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200 },
    });
    expect(Object.keys(result).sort()).toEqual(['ExecutedVersion', 'Payload', 'SdkHttpMetadata', 'SdkResponseMetadata', 'StatusCode']);
    expect(seen.event).toEqual({ base: 'al2023' });
    expect(seen.context).toMatchObject({ functionName: 'bake', invokedFunctionArn: fnArn('bake'), functionVersion: '$LATEST' });
    expect(record.events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'eu-west-1',
      parameters: JSON.stringify({ FunctionName: fnArn('bake'), Payload: { base: 'al2023' } }),
    });
  });

  it('a bare function ARN returns the payload itself and writes LambdaFunction* events', async () => {
    const { run } = harness({ add: async (event) => (event as { a: number; b: number }).a + (event as { a: number; b: number }).b });
    const record = await run(machine({ Add: { Type: 'Task', Resource: fnArn('add'), Arguments: { a: 2, b: 3 }, End: true } }));
    expect(output(record)).toBe(5);
    expect(types(record)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('a thrown error becomes error = its name and cause = Lambda’s errorType/errorMessage/trace document', async () => {
    const { run } = harness({ gate: async () => Promise.reject(new NamedError('ScanGateFailed', '2 critical findings')) });
    const record = await run(machine({ Gate: { Type: 'Task', Resource: fnArn('gate'), End: true } }));
    expect(record.error).toBe('ScanGateFailed');
    const cause = JSON.parse(record.cause!) as { errorType: string; errorMessage: string; trace: string[] };
    expect(cause.errorType).toBe('ScanGateFailed');
    expect(cause.errorMessage).toBe('2 critical findings');
    expect(Array.isArray(cause.trace)).toBe(true);
    expect(record.events.find((e) => e.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails?.error).toBe('ScanGateFailed');
  });
});

describe('aws-sdk tasks', () => {
  let unregister: () => void = () => undefined;
  afterEach(() => unregister());

  /** Answer EC2 commands like the simulated cloud would, through the client-plugin seam. */
  function answerEc2(answer: (command: string, input: Record<string, unknown>) => object) {
    unregister = registerClientPlugin({
      name: 'test-ec2',
      pluggable: () => ({
        applyToStack: (stack) =>
          stack.add(
            (_next, context: HandlerExecutionContext) =>
              async (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => ({
                output: { ...answer(context.commandName ?? '', args.input as Record<string, unknown>), $metadata: { httpStatusCode: 200 } },
                response: {},
              }),
            { step: 'finalizeRequest', priority: 'low', name: 'test-ec2', tags: ['test-ec2'] },
          ),
      }),
    });
  }

  it('calls the SDK v3 command named by the resource with the PascalCase Arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    answerEc2((command, input) => {
      calls.push([command, input]);
      return { Images: [{ ImageId: 'ami-1', State: 'available' }] };
    });
    const { run } = harness();
    const record = await run(
      machine({
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:ec2:describeImages',
          Arguments: { ImageIds: ['{% $states.input.imageId %}'] },
          Output: '{% $states.result.Images[0].State %}',
          End: true,
        },
      }),
      { imageId: 'ami-1' },
    );
    expect(output(record)).toBe('available');
    expect(calls).toEqual([['DescribeImagesCommand', { ImageIds: ['ami-1'] }]]);
    expect(record.events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails).toMatchObject({ resourceType: 'aws-sdk:ec2', resource: 'describeImages' });
  });

  it('names service errors as Step Functions does (EC2: Ec2.Ec2Exception with the code in the cause)', async () => {
    answerEc2(() => {
      throw new EC2ServiceException({ name: 'InvalidAMIID.NotFound', $fault: 'client', message: "The image id '[ami-9]' does not exist", $metadata: { httpStatusCode: 400 } });
    });
    const { run } = harness();
    const record = await run(machine({ Describe: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:describeImages', Arguments: { ImageIds: ['ami-9'] }, End: true } }));
    expect(record.error).toBe('Ec2.Ec2Exception');
    expect(record.cause).toContain('Error Code: InvalidAMIID.NotFound');
    expect(record.cause).toContain("The image id '[ami-9]' does not exist");
  });

  it('.waitForTaskToken on an aws-sdk integration sends the token and waits for SendTaskSuccess', async () => {
    // Prepare: the "SNS topic" hands the message (with the token) to the test
    const messages: string[] = [];
    unregister = registerClientPlugin({
      name: 'test-sns',
      pluggable: () => ({
        applyToStack: (stack) =>
          stack.add(
            (next, context: HandlerExecutionContext) =>
              async (args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => {
                if (context.clientName !== 'SNSClient') return next(args);
                messages.push((args.input as { Message: string }).Message);
                return { output: { MessageId: 'm-1', $metadata: { httpStatusCode: 200 } }, response: {} };
              },
            { step: 'finalizeRequest', priority: 'low', name: 'test-sns', tags: ['test-sns'] },
          ),
      }),
    });
    const { run, engine, clock } = harness();
    const finished = run(
      machine({
        Ask: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sns:publish.waitForTaskToken',
          Arguments: { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals', Message: '{% $states.context.Task.Token %}' },
          Output: '{% $states.result.decision %}',
          End: true,
        },
      }),
    );

    // Act
    await clock.sleep(60_000);
    engine.tokens.succeed(messages[0], '{"decision":"approved"}');
    const record = await finished;

    // Assess
    expect(output(record)).toBe('approved');
    expect(types(record)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    expect(record.events[4].taskSubmittedEventDetails).toMatchObject({ resourceType: 'aws-sdk:sns', resource: 'publish.waitForTaskToken', output: '{"MessageId":"m-1"}' });
  });

  it('follows the documented <Service>.<Error>Exception rule for other services', () => {
    expect(sdkErrorName('acmpca', 'ResourceNotFoundException')).toBe('AcmPca.ResourceNotFoundException');
    expect(sdkErrorName('s3', 'BucketAlreadyExists')).toBe('S3.BucketAlreadyExistsException');
    expect(sdkErrorName('ssm', 'ParameterNotFound')).toBe('Ssm.ParameterNotFoundException');
    expect(sdkErrorName('ec2', 'InvalidAMIID.NotFound')).toBe('Ec2.Ec2Exception');
  });
});
