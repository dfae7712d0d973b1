/** The local Step Functions store: executions outlive the process that ran them, as on the service. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../local/clock';
import { LocalStepFunctions } from '../../local/sfn';
import { ExecutionStore, HISTORY_RETENTION_MS, openStoredStepFunctions, persistExecutions } from '../../local/sfn/store';

const T0 = Date.UTC(2026, 10, 22, 9);
const ROLE = 'arn:aws:iam::111111111111:role/R';
const definition = (seconds: number) =>
  JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: seconds, Next: 'Done' }, Done: { Type: 'Succeed' } } });

function service(clock: VirtualClock, store: ExecutionStore) {
  const sfn = new LocalStepFunctions({ clock, region: 'eu-west-1', account: '111111111111', onEvent: (record) => persistence.changed(record) });
  const persistence = persistExecutions(sfn, store);
  sfn.engine.onStatusChange((record) => persistence.changed(record));
  return { sfn, persistence };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-sfn-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('serves a closed execution, its history and the list to a later process; a run cut off comes back ABORTED', async () => {
  // Prepare: one execution that ends, one still waiting when the process "ends".
  const clock = new VirtualClock(T0);
  const store = new ExecutionStore(dir);
  const { sfn, persistence } = service(clock, store);
  const { stateMachineArn } = sfn.createStateMachine({ name: 'gami-x', definition: definition(60), roleArn: ROLE });
  persistence.saveStateMachines();
  const done = sfn.startExecution({ stateMachineArn, name: 'done', input: '{"reason":"r"}' });
  await sfn.waitForExecution(done.executionArn!);
  // A run whose process ended while it waited: its last saved record says RUNNING (first three events).
  const saved = sfn.executionRecord(done.executionArn!);
  const cut = { ...saved, name: 'cut', executionArn: saved.executionArn.replace(':done', ':cut'), status: 'RUNNING' as const, events: saved.events.slice(0, 3) };
  delete cut.stopDate;
  delete cut.output;
  store.saveExecution(cut);

  // Act: a reader that only reads, and a runtime that resumes.
  const reader = openStoredStepFunctions(dir, T0 + 3_600_000)!;
  const resumed = new LocalStepFunctions({ clock: new VirtualClock(T0 + 3_600_000), region: 'eu-west-1' });
  const aborted = resumed.restore(store.load(T0 + 3_600_000)!);
  reader.close();

  // Assess
  const original = sfn.getExecutionHistory({ executionArn: done.executionArn }).events;
  expect(reader.service.getExecutionHistory({ executionArn: done.executionArn }).events).toEqual(original);
  expect(reader.service.describeExecution({ executionArn: done.executionArn })).toMatchObject({ status: 'SUCCEEDED', input: '{"reason":"r"}' });
  expect(reader.service.listExecutions({ stateMachineArn }).executions?.map((e) => e.name).sort()).toEqual(['cut', 'done']);
  expect(reader.service.describeExecution({ executionArn: cut.executionArn }).status).toBe('RUNNING');
  expect(aborted.map((r) => r.name)).toEqual(['cut']);
  expect(resumed.describeExecution({ executionArn: cut.executionArn })).toMatchObject({ status: 'ABORTED', cause: expect.stringMatching(/cannot be resumed/) });
});

it('forgets an execution 90 days after it closed, as the service does', async () => {
  const clock = new VirtualClock(T0);
  const store = new ExecutionStore(dir);
  const { sfn, persistence } = service(clock, store);
  const { stateMachineArn } = sfn.createStateMachine({ name: 'gami-x', definition: definition(1), roleArn: ROLE });
  persistence.saveStateMachines();
  const { executionArn } = sfn.startExecution({ stateMachineArn, name: 'old' });
  const { stopDate } = await sfn.waitForExecution(executionArn!);

  expect(store.load(stopDate!.getTime() + HISTORY_RETENTION_MS)?.executions).toHaveLength(1);
  expect(store.load(stopDate!.getTime() + HISTORY_RETENTION_MS + 1)?.executions).toHaveLength(0);
  store.prune(stopDate!.getTime() + HISTORY_RETENTION_MS + 1);
  expect(store.load(stopDate!.getTime())?.executions).toHaveLength(0);
});
