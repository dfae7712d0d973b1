/**
 * The operator commands against AWS (no --local): the same code path as the deployed stacks, with the SDK
 * mocked at the client (aws-sdk-client-mock). The state machine is found by the stack's naming; requestedBy
 * defaults to the caller's identity; service errors end as one line, exit 2.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { main, type Io } from '../../bin/cli';

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:gami-web-base';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:gami-web-base:run-1';

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

beforeEach(() => {
  sfn.reset();
  sts.reset();
  sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'gami-web-base', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: new Date() }] });
});

it('start: finds the state machine by the stack naming and starts it with the reason and the caller as requestedBy', async () => {
  sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::123456789012:user/alice', Account: '123456789012' });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  const { io, out } = capture();

  expect(await main(['start', 'web-base', '--region', 'eu-west-1', '--reason', 'CVE-2026-1234 fix'], io)).toBe(0);

  expect(out).toEqual([`started ${EXECUTION}`]);
  expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
    stateMachineArn: MACHINE,
    input: JSON.stringify({ reason: 'CVE-2026-1234 fix', requestedBy: 'arn:aws:iam::123456789012:user/alice' }),
  });
});

it('executions and status: the service answers, the same lines as locally', async () => {
  const start = new Date('2026-11-22T09:00:00Z');
  const stop = new Date('2026-11-22T09:32:40Z');
  sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: MACHINE, name: 'run-1', status: 'FAILED', startDate: start, stopDate: stop }] });
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    name: 'run-1',
    status: 'FAILED',
    startDate: start,
    stopDate: stop,
    input: '{"reason":"monthly","requestedBy":"bob"}',
    error: 'ScanGateFailed',
    cause: 'CRITICAL: 2 findings > 0 allowed',
  });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'FailStateEntered', timestamp: stop, stateEnteredEventDetails: { name: 'Failed' } }] });
  const list = capture();
  const one = capture();

  expect(await main(['executions', 'web-base'], list.io)).toBe(0);
  expect(await main(['status', 'run-1', '--format', 'json'], one.io)).toBe(0);

  expect(list.out).toEqual(['run-1  FAILED     2026-11-22 09:00:00Z      32m 40s  ScanGateFailed  (bob: monthly)']);
  expect(JSON.parse(one.out.join('\n'))).toMatchObject({ status: 'FAILED', state: 'Failed', error: 'ScanGateFailed', durationSeconds: 1960 });
});

it('an AWS error is one line naming it, exit 2, no stack trace', async () => {
  sfn.on(ListStateMachinesCommand).rejects(Object.assign(new Error('User is not authorized to perform: states:ListStateMachines'), { name: 'AccessDeniedException', $metadata: {} }));
  const { io, err } = capture();
  expect(await main(['executions', 'web-base'], io)).toBe(2);
  expect(err).toEqual(['error: AWS: AccessDeniedException: User is not authorized to perform: states:ListStateMachines']);
});
