/**
 * Stage 1 — Prepare: validate the execution input, resolve the base image, allocate the version; or, for
 * `distributeOnly`, find the approved image of that version and go straight to the distribution stages.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { recordStage, runArgument, stageTask, type StageContext } from './common';

/**
 * `redistribute`: where a distributeOnly run goes instead (prepare returned the approved image of that version);
 * such a run writes no Prepare record (the version's record belongs to the run that built it).
 */
export function prepareStage(ctx: StageContext, components: string[], next: sfn.IChainable, redistribute?: sfn.IChainable): sfn.State {
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
    },
  }, {
    assign: {
      version: '{% $states.result.Payload.version %}',
      imageName: '{% $states.result.Payload.imageName %}',
      baseImage: '{% $states.result.Payload.baseImage %}',
      reason: '{% $states.result.Payload.reason %}',
      requestedBy: '{% $states.result.Payload.requestedBy %}',
    },
  });
  const record = recordStage(ctx, 'Record Prepared', 'Prepare', 'succeeded', "{% {'baseImage': $baseImage, 'imageName': $imageName, 'reason': $reason, 'requestedBy': $requestedBy} %}");
  if (!redistribute) {
    prepare.next(record).next(next);
    return prepare;
  }
  const startRedistribution = sfn.Pass.jsonata(ctx.scope, 'Start Redistribution', {
    assign: {
      redistribute: true,
      imageId: '{% $states.input.redistribution.imageId %}',
      snapshotIds: '{% $states.input.redistribution.snapshotIds %}',
    },
  });
  startRedistribution.next(redistribute);
  record.next(next);
  prepare.next(
    sfn.Choice.jsonata(ctx.scope, 'Distribute Only?')
      .when(sfn.Condition.jsonata('{% $exists($states.input.redistribution) %}'), startRedistribution)
      .otherwise(record),
  );
  return prepare;
}
