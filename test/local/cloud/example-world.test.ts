/**
 * The example scenario must carry everything pipelines/example.yaml needs, so `npm start` runs it end to end:
 * this test reads both files and checks each reference the pipeline makes against the seeded world.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { VirtualClock } from '../../../local/clock';
import { Cloud, DEFAULT_SCENARIO } from '../../../local/cloud/index';
import { loadScenarioFile } from '../../../local/cloud/scenario';
import { canUseKey, findKey } from '../../../local/cloud/services/kms';
import { AMAZON_OWNER_ID } from '../../../local/cloud/world';
import { pipelineConfigSchema } from '../../../pipeline/config';
import { START, TOOLING } from './cloud-fixture';

const pipeline = pipelineConfigSchema.parse(parseYaml(readFileSync(join(__dirname, '../../../pipelines/example.yaml'), 'utf8')));

let cloud: Cloud;
beforeAll(async () => {
  cloud = await Cloud.start({ clock: new VirtualClock(START), scenario: DEFAULT_SCENARIO, dynamodb: false });
});
afterAll(async () => {
  await cloud.stop();
});

describe('example world ↔ pipelines/example.yaml', () => {
  it('resolves the base image parameter to an available Amazon image in the source and every target region', () => {
    const regions = [pipeline.distribution.sourceRegion, ...pipeline.distribution.targetRegions.map((t) => t.region)];
    const parameter = 'ssmParameter' in pipeline.baseImage ? String(pipeline.baseImage.ssmParameter) : '';

    const images = regions.map((region) => {
      const imageId = cloud.world.region(AMAZON_OWNER_ID, region).parameters[parameter]?.value ?? '';
      return cloud.world.region(AMAZON_OWNER_ID, region).images[imageId];
    });

    expect(parameter).toMatch(/^\/aws\/service\//);
    expect(images.map((i) => [i?.state, i?.architecture, i?.imageOwnerAlias])).toEqual(regions.map(() => ['available', pipeline.architecture, 'amazon']));
  });

  it('has the build instance profile (with the SSM managed policy) and the KMS aliases in the tooling account', () => {
    const account = cloud.world.account(TOOLING);
    const profile = account.instanceProfiles[pipeline.build.instanceProfile ?? ''];
    const keyRegions = [
      { region: pipeline.distribution.sourceRegion, alias: pipeline.distribution.sourceKmsKeyAlias },
      ...pipeline.distribution.targetRegions.map((t) => ({ region: t.region, alias: t.kmsKeyAlias })),
    ];

    expect(account.roles[profile?.roleName ?? '']?.managedPolicies).toContain('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
    for (const { region, alias } of keyRegions) {
      const key = findKey(cloud.world, TOOLING, region, alias ?? '');
      expect(key?.key.keyManager).toBe('CUSTOMER');
      // Every share target can use the key, or it could not launch the shared encrypted image.
      for (const shareAccount of pipeline.sharing.accounts) expect(key && canUseKey(key, shareAccount)).toBe(true);
    }
  });

  it('has each launch template, its Auto Scaling groups and a role that trusts the tooling account', () => {
    for (const target of pipeline.launchTemplates) {
      const regionState = cloud.world.region(target.account, target.region);
      const template = Object.values(regionState.launchTemplates).find((t) => t.launchTemplateName === target.launchTemplateName);
      const role = cloud.world.account(target.account).roles[target.roleName];

      expect(template).toBeDefined();
      expect(target.autoScalingGroups.filter((name) => !regionState.autoScalingGroups[name])).toEqual([]);
      expect(role?.trustedPrincipals).toContain(`arn:aws:iam::${TOOLING}:root`);
    }
  });

  it('creates the registry table the pipeline writes to', () => {
    const scenario = loadScenarioFile(DEFAULT_SCENARIO);

    expect(scenario.dynamodbTables.map((t) => t.name)).toContain(`gami-registry-${pipeline.name}`);
  });
});
