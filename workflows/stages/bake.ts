/**
 * Stage 2 — Bake: launch a builder from the base image, wait for its SSM agent, run every component's build
 * and validate steps, create the image, wait until it is available (backing off), terminate the builder.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { ComponentStepRef } from '../../tasks/contracts';
import { failWith, recordStage, runArgument, stageTask, type StageContext } from './common';
import { runSteps, waitForAgent } from './instance';

/** Image wait: first check after 60 s, doubling to at most 5 min between checks, for up to 4 hours. */
export const IMAGE_FIRST_WAIT_SECONDS = 60;
export const IMAGE_MAX_WAIT_SECONDS = 300;
export const IMAGE_MAX_POLLS = 50;

export function launchArguments(ctx: StageContext, purpose: 'build' | 'test', imageId: string) {
  const { config } = ctx;
  return {
    run: runArgument(config.name),
    purpose,
    imageId,
    version: '{% $version %}',
    instanceType: config.instanceType,
    subnetId: config.build.subnetId,
    securityGroupIds: ctx.securityGroupIds,
    instanceProfile: config.build.instanceProfile,
    ...(config.build.rootVolumeSizeGiB ? { rootVolumeSizeGiB: config.build.rootVolumeSizeGiB } : {}),
    tags: config.tags,
  };
}

export function bakeStage(ctx: StageContext, steps: ComponentStepRef[], components: string[], next: sfn.IChainable): sfn.State {
  const { config } = ctx;
  const run = runArgument(config.name);

  const record = recordStage(ctx, 'Record Baked', 'Bake', 'succeeded', "{% {'imageId': $imageId, 'imageName': $imageName, 'builderId': $builderId, 'snapshotIds': $snapshotIds, 'steps': $buildSteps} %}");
  record.next(next);

  const terminate = stageTask(ctx, 'Bake', 'Terminate Builder', 'terminateInstances', { run, instanceIds: ['{% $builderId %}'] });
  terminate.next(record);

  const waitImage = sfn.Wait.jsonata(ctx.scope, 'Wait For Image', { time: sfn.WaitTime.seconds('{% $imageWait %}') });
  const checkImage = stageTask(ctx, 'Bake', 'Check Image', 'checkImage', { run, imageId: '{% $imageId %}' }, {
    assign: { imageState: '{% $states.result.Payload.state %}', snapshotIds: '{% $states.result.Payload.snapshotIds %}', imagePolls: '{% $imagePolls + 1 %}' },
  });
  const backOff = sfn.Pass.jsonata(ctx.scope, 'Back Off Image Wait', {
    assign: { imageWait: `{% $min([$imageWait * 2, ${IMAGE_MAX_WAIT_SECONDS}]) %}` },
  });
  const tooSlow = failWith(ctx, 'Image Not Available In Time', 'Bake', 'ImageCreationFailed', "{% 'Image ' & $imageId & ' is still ' & $imageState & ' after ' & $imagePolls & ' checks' %}");
  const available = sfn.Choice.jsonata(ctx.scope, 'Image Available?')
    .when(sfn.Condition.jsonata("{% $imageState = 'available' %}"), terminate)
    .when(sfn.Condition.jsonata(`{% $imagePolls < ${IMAGE_MAX_POLLS} %}`), backOff)
    .otherwise(tooSlow);
  backOff.next(waitImage);
  waitImage.next(checkImage).next(available);

  const create = stageTask(ctx, 'Bake', 'Create Image', 'createImage', {
    run,
    instanceId: '{% $builderId %}',
    imageName: '{% $imageName %}',
    description: `{% '${config.name} golden image v' & $version & ' from ' & $baseImage.imageId %}`,
    version: '{% $version %}',
    baseImageId: '{% $baseImage.imageId %}',
    components,
    tags: config.tags,
  }, {
    assign: {
      imageId: '{% $states.result.Payload.imageId %}',
      snapshotIds: '{% $states.result.Payload.snapshotIds %}',
      imageWait: IMAGE_FIRST_WAIT_SECONDS,
      imagePolls: 0,
    },
  });
  create.next(waitImage);

  const buildSteps = runSteps(ctx, 'Build', steps, 'builderId', 'Bake', create);
  const agent = waitForAgent(ctx, 'Builder', 'builderId', 'Bake', buildSteps);

  const launch = stageTask(ctx, 'Bake', 'Launch Builder', 'launchInstance', launchArguments(ctx, 'build', '{% $baseImage.imageId %}'), {
    assign: { builderId: '{% $states.result.Payload.instanceId %}' },
  });
  launch.next(agent);
  return launch;
}
