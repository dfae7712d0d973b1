/** Stage 1 — Prepare: validate the execution input, resolve the base image, allocate the version. */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { recordStage, runArgument, stageTask, type StageContext } from './common';

export function prepareStage(ctx: StageContext, components: string[], next: sfn.IChainable): sfn.State {
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
  prepare.next(record).next(next);
  return prepare;
}
