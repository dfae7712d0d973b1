/**
 * Stage 1 — Prepare: validate the execution input, resolve the base image, allocate the version. Two other ways
 * out: for `distributeOnly`, prepare finds the approved image of that version and the run goes straight to the
 * distribution stages; with input `onlyWhenChanged` (the schedule's), a run whose base image and components match
 * the last approved image takes no version: Prepare records the skip and the run ends in `Skipped` (succeeded,
 * output `skipped`).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { recordStage, runArgument, stageTask, type StageContext } from './common';

/**
 * `redistribute`: where a distributeOnly run goes instead (prepare returned the approved image of that version);
 * such a run writes no Prepare record (the version's record belongs to the run that built it).
 */
export function prepareStage(
  ctx: StageContext,
  components: string[],
  componentsDigest: string,
  next: sfn.IChainable,
  redistribute?: sfn.IChainable,
): sfn.State {
  const { config } = ctx;
  const prepare = stageTask(ctx, 'Prepare', 'Prepare Run', 'prepare', {
    run: runArgument(config.name),
    input: '{% $states.input %}',
    config: {
      baseImage: config.baseImage,
      architecture: config.architecture,
      namingPattern: config.naming.pattern,
      registryTable: ctx.registryTable,
      components,
      allowedOwners: config.baseImageTrust.allowedOwners,
      componentsDigest,
    },
  }, {
    assign: {
      version: '{% $states.result.Payload.version %}',
      imageName: '{% $states.result.Payload.imageName %}',
      baseImage: '{% $states.result.Payload.baseImage %}',
      reason: '{% $states.result.Payload.reason %}',
      requestedBy: '{% $states.result.Payload.requestedBy %}',
      skipped: '{% $states.result.Payload.skipped %}',
    },
  });
  const record = recordStage(ctx, 'Record Prepared', 'Prepare', 'succeeded', "{% {'baseImage': $baseImage, 'imageName': $imageName, 'reason': $reason, 'requestedBy': $requestedBy} %}");
  record.next(next);
  const skippedRun = sfn.Succeed.jsonata(ctx.scope, 'Skipped', {
    comment: 'schedule.onlyWhenChanged: nothing changed since the last approved image; recorded by Prepare',
    outputs: {
      pipeline: config.name,
      skipped: '{% $skipped %}',
      baseImage: '{% $baseImage %}',
      reason: '{% $reason %}',
      requestedBy: '{% $requestedBy %}',
    },
  });
  const runNeeded = sfn.Choice.jsonata(ctx.scope, 'Run Needed?').when(sfn.Condition.jsonata('{% $skipped != null %}'), skippedRun);
  if (redistribute) {
    const startRedistribution = sfn.Pass.jsonata(ctx.scope, 'Start Redistribution', {
      assign: {
        redistribute: true,
        imageId: '{% $states.input.redistribution.imageId %}',
        snapshotIds: '{% $states.input.redistribution.snapshotIds %}',
      },
    });
    startRedistribution.next(redistribute);
    runNeeded.when(sfn.Condition.jsonata('{% $exists($states.input.redistribution) %}'), startRedistribution);
  }
  runNeeded.otherwise(record);
  prepare.next(runNeeded);
  return prepare;
}
