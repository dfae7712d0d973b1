/**
 * The launch template stage on the real synthesized lifecycle (local engine, real handlers, simulated accounts,
 * virtual clock): both consumer accounts' templates updated through their roles, the refresh done, the image
 * approved — or, when anything fails or the run is stopped mid-stage, every template back where it was.
 */
import { StopExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { putLaunchTemplate } from '../../local/cloud/services/ec2/launch-templates';
import { TAG } from '../../pipeline/tags';
import { startRuntime } from './runtime-fixture';

type Env = Awaited<ReturnType<typeof startRuntime>>;
const PROD = '222222222222';
const STAGING = '333333333333';
const REGION = 'eu-west-1';

function template(env: Env, account: string, name: string) {
  const found = Object.values(env.runtime.cloud.world.region(account, REGION).launchTemplates).find((t) => t.launchTemplateName === name);
  if (!found) throw new Error(`no launch template ${name} in ${account}`);
  return found;
}

describe('launch template stage', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startRuntime({ pipelineFile: 'test/fixtures/launch-templates.yaml' });
    const world = env.runtime.cloud.world;
    // Staging's template in the source region, as the fixture names it.
    const image = Object.values(world.region('111111111111', REGION).images).find((i) => i.tags[TAG.version] === '4');
    putLaunchTemplate(world, STAGING, REGION, { name: 'web-staging-euw1', data: { ImageId: image!.imageId, InstanceType: 't3.small' }, createdBy: 'seed' });
  });
  afterAll(() => env.stop());
  afterEach(() => env.runtime.cloud.world.faults.clear());

  it('updates every template through the consumer roles, refreshes the group, and approves the image', async () => {
    // Arrange
    const prodBefore = template(env, PROD, 'web-prod').defaultVersion;
    const stagingBefore = template(env, STAGING, 'web-staging-euw1').defaultVersion;

    // Act
    const result = await env.run({});

    // Assess: new default versions with the image, described for people; the refresh replaced the fleet.
    expect(result.description.status).toBe('SUCCEEDED');
    const imageId = result.output.imageId as string;
    const prod = template(env, PROD, 'web-prod');
    expect(prod.defaultVersion).toBe(prodBefore + 1);
    expect(prod.versions[String(prod.defaultVersion)].data).toMatchObject({ ImageId: imageId, InstanceType: 't3.medium' });
    expect(prod.versions[String(prod.defaultVersion)].versionDescription).toMatch(/^golden-ami-pipeline web-base version \d+, execution /);
    expect(prod.versions[String(prod.defaultVersion)].createdBy).toMatch(/^arn:aws:sts::222222222222:assumed-role\/GamiLaunchTemplateUpdater\/gami-/);
    const staging = template(env, STAGING, 'web-staging-euw1');
    expect(staging.defaultVersion).toBe(stagingBefore + 1);
    const group = env.runtime.cloud.world.region(PROD, REGION).autoScalingGroups['web-prod-asg'];
    expect(group.instanceRefreshes.at(-1)).toMatchObject({ status: 'Successful', preferences: { MinHealthyPercentage: 90, SkipMatching: true } });
    const fleet = group.instanceIds.map((id) => env.runtime.cloud.world.region(PROD, REGION).instances[id]);
    expect(fleet.every((i) => i.imageId === imageId && i.state === 'running')).toBe(true);
    // The image: approved, protected, watermarked with the pipeline's name.
    const image = env.runtime.cloud.world.region('111111111111', REGION).images[imageId];
    expect(image.tags[TAG.status]).toBe('approved');
    expect(image.deregistrationProtection).toMatchObject({ enabled: true, withCooldown: true });
    expect(image.watermarks?.map((w) => w.key)).toEqual(['111111111111:web-base']);
    // The previous default of each template is recorded in the stage's record.
    const change = JSON.stringify(result.events.filter((e) => e.type === 'TaskSucceeded').map((e) => e.taskSucceededEventDetails?.output));
    expect(change).toContain(`\\"previousDefaultVersion\\":${prodBefore}`);
  });

  it("rolls the first account's template back when the second account's update is refused", async () => {
    // Arrange: staging refuses the new version (a permanent error, not retried).
    const prodBefore = template(env, PROD, 'web-prod').defaultVersion;
    const stagingBefore = template(env, STAGING, 'web-staging-euw1').defaultVersion;
    env.runtime.cloud.world.faults.add({ operation: 'ec2:CreateLaunchTemplateVersion', accountId: STAGING, error: 'UnauthorizedOperation', httpStatusCode: 403 });

    // Act
    const result = await env.run({});

    // Assess: the run failed by name, saying what was rolled back; both templates at their previous default.
    expect(result.description.status).toBe('FAILED');
    expect(result.description.error).toBe('LaunchTemplateUpdateFailed');
    expect(result.description.cause).toContain('web-staging-euw1 (333333333333/eu-west-1): CreateLaunchTemplateVersion failed');
    expect(result.description.cause).toContain(`Rolled back: web-prod (222222222222/eu-west-1): default back to ${prodBefore}`);
    expect(template(env, PROD, 'web-prod').defaultVersion).toBe(prodBefore);
    expect(template(env, STAGING, 'web-staging-euw1').defaultVersion).toBe(stagingBefore);
    const images = Object.values(env.runtime.cloud.world.region('111111111111', REGION).images).filter((i) => i.tags[TAG.execution] === result.executionArn);
    expect(images.map((i) => i.tags[TAG.status])).toEqual(['rejected']);
  });

  it('cancels the refresh and rolls back when the instance refresh fails', async () => {
    // Arrange
    const prodBefore = template(env, PROD, 'web-prod').defaultVersion;
    env.runtime.cloud.world.faults.add({ behaviour: 'autoscaling.refreshFails', accountId: PROD, count: 1 });

    // Act
    const result = await env.run({});

    // Assess
    expect(result.description.error).toBe('LaunchTemplateUpdateFailed');
    expect(result.description.cause).toMatch(/instance refresh .* of web-prod-asg \(222222222222\/eu-west-1\) ended Failed/);
    expect(template(env, PROD, 'web-prod').defaultVersion).toBe(prodBefore);
  });

  it('rolls back through the status-change clean-up when the run is stopped mid-stage', async () => {
    // Arrange
    const prodBefore = template(env, PROD, 'web-prod').defaultVersion;
    const stagingBefore = template(env, STAGING, 'web-staging-euw1').defaultVersion;
    const { executionArn } = await env.sfn.send(new StartExecutionCommand({ stateMachineArn: env.stateMachineArn, input: '{}' }));

    // Act: stop it while the instance refresh runs (the templates are at their new default by then).
    let changed = false;
    for (let minute = 0; minute < 240 && !changed; minute++) {
      await env.clock.sleep(60_000);
      changed = template(env, PROD, 'web-prod').defaultVersion !== prodBefore;
    }
    expect(changed).toBe(true);
    await env.sfn.send(new StopExecutionCommand({ executionArn: executionArn!, cause: 'stopped by the test' }));
    await env.runtime.settled();

    // Assess: both templates back, the refresh cancelled, the image rejected.
    expect(template(env, PROD, 'web-prod').defaultVersion).toBe(prodBefore);
    expect(template(env, STAGING, 'web-staging-euw1').defaultVersion).toBe(stagingBefore);
    const group = env.runtime.cloud.world.region(PROD, REGION).autoScalingGroups['web-prod-asg'];
    expect(['Cancelling', 'Cancelled']).toContain(group.instanceRefreshes.at(-1)?.status);
    const images = Object.values(env.runtime.cloud.world.region('111111111111', REGION).images).filter((i) => i.tags[TAG.execution] === executionArn);
    expect(images.map((i) => i.tags[TAG.status])).toEqual(['rejected']);
    const mail = env.runtime.cloud.mailbox().find((m) => m.message.includes(executionArn!));
    expect(mail?.message).toContain(`Launch templates rolled back: web-prod (222222222222/eu-west-1): default back to ${prodBefore}`);
  });
});

describe('launch template stage, refresh slower than its time limit', () => {
  let env: Env;
  let dir: string;
  beforeAll(async () => {
    // The fixture with a 5-minute refresh limit: web-prod-asg's two replacements take 12 minutes.
    dir = mkdtempSync(join(tmpdir(), 'gami-lt-'));
    const file = join(dir, 'slow-refresh.yaml');
    const text = readFileSync('test/fixtures/launch-templates.yaml', 'utf8')
      .replaceAll('../../pipelines/components/', 'components/')
      .replace('    autoScalingGroups: [web-prod-asg]', '    autoScalingGroups: [web-prod-asg]\n    refreshTimeoutMinutes: 5');
    writeFileSync(file, text);
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    env = await startRuntime({ pipelineFile: file });
    const world = env.runtime.cloud.world;
    const image = Object.values(world.region('111111111111', REGION).images).find((i) => i.tags[TAG.version] === '4');
    putLaunchTemplate(world, STAGING, REGION, { name: 'web-staging-euw1', data: { ImageId: image!.imageId }, createdBy: 'seed' });
  });
  afterAll(async () => {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cancels the running refresh and sets every template back when the refresh outlasts its limit', async () => {
    // Arrange
    const prodBefore = template(env, PROD, 'web-prod').defaultVersion;
    const stagingBefore = template(env, STAGING, 'web-staging-euw1').defaultVersion;

    // Act
    const result = await env.run({});

    // Assess
    expect(result.description.error).toBe('LaunchTemplateUpdateFailed');
    expect(result.description.cause).toMatch(/instance refresh not finished by .*: web-prod-asg \(222222222222\/eu-west-1\) InProgress at 50 %/);
    expect(result.description.cause).toMatch(/web-prod-asg \(222222222222\/eu-west-1\): refresh [-0-9a-f]+ cancelled/);
    const group = env.runtime.cloud.world.region(PROD, REGION).autoScalingGroups['web-prod-asg'];
    expect(['Cancelling', 'Cancelled']).toContain(group.instanceRefreshes.at(-1)?.status);
    expect(template(env, PROD, 'web-prod').defaultVersion).toBe(prodBefore);
    expect(template(env, STAGING, 'web-staging-euw1').defaultVersion).toBe(stagingBefore);
  });
});
