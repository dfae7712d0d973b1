/**
 * The RetentionSweep state machine of one pipeline (Standard workflow, JSONata): retention alone, over every
 * region and account of the pipeline — the source region and each target region of the tooling account, and
 * each consumer account (sharing.accounts, launch template accounts) through the target-account role. The
 * pipeline stack starts it from an EventBridge Scheduler schedule (daily by default; config-free, see
 * infra/pipeline-stack.ts); every pipeline has its own, so together they sweep all pipelines.
 *
 * Execution input (optional): `{"dryRun": true}` only reports (the config's `retention.dryRun` makes every
 * sweep a dry run; the input can turn a dry run on, never off).
 *
 *   Start Sweep → the retention chain (workflows/stages/retention.ts: Plan Retention → Retire Batch loop paced by
 *   a Wait → Report Retention) → Swept (output: the report's summary and where the report is).
 *   Any error → Notify Sweep Failed (SNS) → Sweep Failed (Fail, Error RetentionFailed, Cause: the error and its
 *   cause). Images the sweep did not reach are as they were; the next sweep plans again from what it finds.
 *
 * History: Start, Plan and Report cost ~14 events, each batch 9; 100,000 images need 100 batches over 20 regions,
 * at most 1,667 even all in one account and region (60 a batch): ~15,000 events, under the 25,000 limit
 * (docs/retention.md).
 */
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../pipeline/config';
import { CAUGHT_CAUSE_EXPRESSION, MAX_CAUSE, notifyTopic, type TaskFunctions } from './stages/common';
import { retentionChain } from './stages/retention';

export interface RetentionSweepProps {
  config: PipelineConfig;
  functions: TaskFunctions;
  topic: sns.ITopic;
  logGroup: logs.ILogGroup;
  registryTableName: string;
  stateMachineName?: string;
}

/** Upper bound of one sweep: 100,000 images all in one account and region take 1,667 batches of ≥ 20 s (~9.5 h). */
export const SWEEP_TIMEOUT = Duration.hours(24);

export class RetentionSweep extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RetentionSweepProps) {
    super(scope, id);
    const { config, topic } = props;

    const fail = sfn.Fail.jsonata(this, 'Sweep Failed', { error: 'RetentionFailed', cause: '{% $error & \': \' & $cause %}' });
    const notify = notifyTopic(
      this,
      'Notify Sweep Failed',
      topic,
      config.name,
      {
        subject: `[${config.name}] Retention sweep failed`,
        body:
          `{% 'The retention sweep of pipeline ${config.name} failed with ' & $error & '.\\n\\n' & $cause & ` +
          `'\\n\\nImages it did not reach are as they were; the next sweep plans again. ' & ` +
          `($retention ? 'Report: the registry item RETENTION#' & $retention.sweepId & '.' : '') & '\\n\\nExecution: ' & $states.context.Execution.Id %}`,
        error: 'RetentionFailed',
      },
      fail,
    );

    const assign = {
      error: '{% $states.errorOutput.Error %}',
      cause: `{% $substring(${CAUGHT_CAUSE_EXPRESSION}, 0, ${MAX_CAUSE}) %}`,
    };
    const swept = sfn.Succeed.jsonata(this, 'Swept', {
      outputs: {
        pipeline: config.name,
        dryRun: '{% $retention.dryRun %}',
        planned: '{% $retention.planned %}',
        report: '{% $retentionReport %}',
        registry: `{% {'table': '${props.registryTableName}', 'pk': 'PIPELINE#${config.name}', 'sk': 'RETENTION#' & $retention.sweepId} %}`,
      },
    });
    const chain = retentionChain(
      {
        scope: this,
        functions: props.functions,
        config,
        registryTable: props.registryTableName,
        trigger: 'sweep',
        dryRun: `(${config.retention.dryRun} or $states.context.Execution.Input.dryRun = true)`,
        version: 'null',
        maxBatches: null,
        onError: (state) => {
          state.addCatch(notify, { errors: ['States.DataLimitExceeded'], assign });
          state.addCatch(notify, { errors: ['States.ALL'], assign });
        },
      },
      swept,
    );
    const start = sfn.Pass.jsonata(this, 'Start Sweep', {
      comment: `Retention sweep of pipeline ${config.name}`,
      assign: { retention: null, retentionBatch: null, retentionReport: null, error: null, cause: null },
    });
    start.next(chain);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      timeout: SWEEP_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: props.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `golden-ami-pipeline ${config.name}: retention sweep over every region and account`,
    });
  }
}
