/**
 * Stage 4 — ScanGate: wait until Amazon Inspector has scanned the test instance (fail closed: ScanIncomplete
 * when the scan does not finish within scanTimeoutMinutes, or coverage says it never will), evaluate the
 * findings against the gate (ScanGateFailed when over a threshold), terminate the test instance.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { failWith, recordStage, runArgument, stageTask, type StageContext } from './common';

export const SCAN_POLL_SECONDS = 60;

export function scanGateStage(ctx: StageContext, next: sfn.IChainable): sfn.IChainable {
  const { config } = ctx;
  const run = runArgument(config.name);
  const maxPolls = Math.ceil((config.scanGate.scanTimeoutMinutes * 60) / SCAN_POLL_SECONDS);

  const record = recordStage(ctx, 'Record Scan Gate', 'ScanGate', 'succeeded', "{% {'gate': $gate} %}");
  record.next(next);

  const terminate = stageTask(ctx, 'ScanGate', 'Terminate Test Instance', 'terminateInstances', { run, instanceIds: ['{% $testInstanceId %}'] });
  terminate.next(record);

  const evaluate = stageTask(ctx, 'ScanGate', 'Evaluate Scan Gate', 'evaluateScanGate', {
    run,
    instanceId: '{% $testInstanceId %}',
    imageId: '{% $imageId %}',
    version: '{% $version %}',
    registryTable: ctx.registryTable,
    scanGate: { maxFindings: config.scanGate.maxFindings, exceptions: config.scanGate.exceptions },
  }, { assign: { gate: '{% $states.result.Payload %}' } });
  evaluate.next(terminate);

  const wait = sfn.Wait.jsonata(ctx.scope, 'Wait For Scan', { time: sfn.WaitTime.duration(Duration.seconds(SCAN_POLL_SECONDS)) });
  const coverage = stageTask(ctx, 'ScanGate', 'Check Scan Coverage', 'checkScanCoverage', { run, instanceId: '{% $testInstanceId %}' }, {
    assign: { scan: '{% $states.result.Payload %}', scanPolls: '{% $scanPolls + 1 %}' },
  });
  const timedOut = failWith(
    ctx,
    'Scan Timed Out',
    'ScanGate',
    'ScanIncomplete',
    `{% 'Amazon Inspector did not finish scanning ' & $testInstanceId & ' within ${config.scanGate.scanTimeoutMinutes} minutes (last status: ' & $scan.status & ($scan.statusReason ? ', ' & $scan.statusReason : '') & '); failing closed' %}`,
  );
  const scanned = sfn.Choice.jsonata(ctx.scope, 'Scan Complete?')
    .when(sfn.Condition.jsonata("{% $scan.status = 'SCANNED' %}"), evaluate)
    .when(sfn.Condition.jsonata(`{% $scanPolls < ${maxPolls} %}`), wait)
    .otherwise(timedOut);
  wait.next(coverage).next(scanned);
  return sfn.Pass.jsonata(ctx.scope, 'Start Scan Gate', { assign: { scanPolls: 0 } }).next(wait);
}
