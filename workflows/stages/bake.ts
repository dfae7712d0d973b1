/**
 * Stage 2 — Bake: launch a builder from the base image with the image spec's volumes and encryption (the base
 * image checked against the spec first), wait for its SSM agent, run every component's build and validate steps,
 * create the image with the spec's volumes pinned, wait until it is available (backing off), mark it IMDSv2-only
 * (image.imdsSupport), terminate the builder, and record what the image is made of. The builder's packages are
 * recorded as the base inventory once its agent is online, before the first build step.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { resolveImageSpec } from '../../pipeline/image-spec';
import type { ComponentStepRef } from '../../tasks/contracts';
import { failWith, recordStage, runArgument, stageTask, type StageContext } from './common';
import { runSteps, waitForAgent } from './instance';

/** Image wait: first check after 60 s, doubling to at most 5 min between checks, for up to 4 hours. */
export const IMAGE_FIRST_WAIT_SECONDS = 60;
export const IMAGE_MAX_WAIT_SECONDS = 300;
export const IMAGE_MAX_POLLS = 50;

/** SSM Inventory collects when an instance becomes managed: retry a few minutes until it has. */
export const INVENTORY_RETRY = { errors: ['InventoryNotCollected'], interval: Duration.seconds(60), maxAttempts: 10, backoffRate: 1.5, maxDelay: Duration.minutes(5) };

/** Record the packages of the instance in `$<instanceVar>` as the inventory of `role` (recordInventory). */
export function recordInventoryTask(ctx: StageContext, stage: string, name: string, instanceVar: string, imageId: string, role: 'base' | 'image', assignTo: string) {
  const task = stageTask(ctx, stage, name, 'recordInventory', {
    run: runArgument(ctx.config.name),
    registryTable: ctx.registryTable,
    version: '{% $version %}',
    instanceId: `{% $${instanceVar} %}`,
    imageId,
    role,
  }, { assign: { [assignTo]: '{% $states.result.Payload %}' } });
  task.addRetry(INVENTORY_RETRY);
  return task;
}

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
    // The builder gets the image spec (volumes, encryption; base image checked); the test instance launches
    // with the new image's own mappings, which is how the image's consumers will launch it.
    ...(purpose === 'build' ? { image: resolveImageSpec(config) } : {}),
    tags: config.tags,
  };
}

export function bakeStage(ctx: StageContext, steps: ComponentStepRef[], components: string[], next: sfn.IChainable): sfn.State {
  const { config } = ctx;
  const run = runArgument(config.name);
  const spec = resolveImageSpec(config);

  const record = recordStage(
    ctx,
    'Record Baked',
    'Bake',
    'succeeded',
    "{% {'imageId': $imageId, 'imageName': $imageName, 'builderId': $builderId, 'snapshotIds': $snapshotIds, 'steps': $buildSteps, 'image': $imageFacts, 'baseInventory': $baseInventory} %}",
  );
  record.next(next);

  const terminate = stageTask(ctx, 'Bake', 'Terminate Builder', 'terminateInstances', { run, instanceIds: ['{% $builderId %}'] });
  terminate.next(record);

  const waitImage = sfn.Wait.jsonata(ctx.scope, 'Wait For Image', { time: sfn.WaitTime.seconds('{% $imageWait %}') });
  const checkImage = stageTask(ctx, 'Bake', 'Check Image', 'checkImage', { run, imageId: '{% $imageId %}', imdsSupport: spec.imdsSupport }, {
    assign: {
      imageState: '{% $states.result.Payload.state %}',
      snapshotIds: '{% $states.result.Payload.snapshotIds %}',
      imageFacts: '{% $states.result.Payload.image %}',
      imagePolls: '{% $imagePolls + 1 %}',
    },
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
    image: spec,
    rootDeviceName: '{% $builderRootDevice %}',
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
  // The base image's packages, before the first build step changes anything: what the image's diff starts from.
  const baseInventory = recordInventoryTask(ctx, 'Bake', 'Record Base Inventory', 'builderId', '{% $baseImage.imageId %}', 'base', 'baseInventory');
  baseInventory.next(buildSteps);
  const agent = waitForAgent(ctx, 'Builder', 'builderId', 'Bake', baseInventory);

  const launch = stageTask(ctx, 'Bake', 'Launch Builder', 'launchInstance', launchArguments(ctx, 'build', '{% $baseImage.imageId %}'), {
    assign: { builderId: '{% $states.result.Payload.instanceId %}', builderRootDevice: '{% $states.result.Payload.rootDeviceName %}' },
  });
  launch.next(agent);
  return launch;
}
