/**
 * Stage 3 — Test: launch a test instance from the new image, wait for its agent, record the image's package
 * inventory (and what changed from the base), run the test steps.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { ComponentStepRef } from '../../tasks/contracts';
import { launchArguments, recordInventoryTask } from './bake';
import { recordStage, stageTask, type StageContext } from './common';
import { runSteps, waitForAgent } from './instance';

export function testStage(ctx: StageContext, steps: ComponentStepRef[], next: sfn.IChainable): sfn.State {
  const record = recordStage(ctx, 'Record Tested', 'Test', 'succeeded', "{% {'testInstanceId': $testInstanceId, 'steps': $testSteps, 'inventory': $imageInventory} %}");
  record.next(next);

  const testSteps = runSteps(ctx, 'Test', steps, 'testInstanceId', 'Test', record);
  const inventory = recordInventoryTask(ctx, 'Test', 'Record Image Inventory', 'testInstanceId', '{% $imageId %}', 'image', 'imageInventory');
  inventory.next(testSteps);
  const agent = waitForAgent(ctx, 'Test Instance', 'testInstanceId', 'Test', inventory);
  const launch = stageTask(ctx, 'Test', 'Launch Test Instance', 'launchInstance', launchArguments(ctx, 'test', '{% $imageId %}'), {
    assign: { testInstanceId: '{% $states.result.Payload.instanceId %}', testSteps: [] },
  });
  launch.next(agent);
  return launch;
}
