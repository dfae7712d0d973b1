/**
 * A full simulated RetentionSweep (part of `npm run bench:retention`): the real synthesized sweep state machine
 * with the real retention handler on the local runtime (virtual clock: the Waits between batches cost nothing),
 * against a simulated tooling account holding IMAGES images of one pipeline spread evenly over 20 regions, and 4
 * consumer accounts (read through the target-account role) whose launch templates and instances use some of them.
 *
 * The inventory: a year of versions, evenly spaced, each copied to all 20 regions; 1 in 50 versions rejected; consumer
 * accounts launch a few old versions in every region (launch template $Default, instances). With the example
 * policy (keep 3, deprecate after 30 days, deregister after 90) most images are deregistered, a month's worth
 * deprecated. Figures: DescribeImages calls per region and account (bound: ceil(images / 1,000)), batches,
 * history events (limit 25,000), and wall time.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { parse, stringify } from 'yaml';
import { followExecution } from '../bin/follow';
import { buildApp, LOCAL_CONTEXT } from '../infra/app';
import { resourceNames } from '../infra/pipeline-stack';
import { VirtualClock } from '../local/clock';
import { addImage, addRunningInstance, minimalSoftware } from '../local/cloud/seed';
import { LocalRuntime } from '../local/runtime';
import { createClient } from '../tasks/clients';
import { registryClient } from '../tasks/common/registry';
import type { ReportBase } from '../tasks/retention/report';

const REGIONS = [
  'eu-west-1', 'eu-central-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'eu-south-1',
  'ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'sa-east-1', 'me-south-1', 'af-south-1', 'ap-east-1',
];
const TOOLING = '111111111111';
const CONSUMERS = ['222222222222', '333333333333', '444444444444', '555555555555'];
const HOUR_MS = 3_600_000;

export interface SweepFigures {
  images: number;
  regions: number;
  accounts: number;
  wallMs: number;
  seedMs: number;
  status: string;
  batches: number;
  historyEvents: number;
  maxDescribeImagesCalls: number;
  describeImagesBound: number;
  planned: { kept: number; deprecated: number; deregistered: number; freedGiB: number };
  done: { deprecated: number; deregistered: number; snapshotsDeleted: number; freedGiB: number };
  /** The report's registry item (DynamoDB's limit: 400 KB). */
  reportItemBytes: number;
}

export async function benchSweep(images: number): Promise<SweepFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'gami-bench-sweep-'));
  try {
    symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
    const config = parse(readFileSync('pipelines/example.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
    config.distribution.targetRegions = REGIONS.slice(1).map((region) => ({ region, kmsKeyAlias: 'alias/gami-ami' }));
    config.sharing = { accounts: CONSUMERS };
    config.launchTemplates = [] as never;
    const file = join(dir, 'bench.yaml');
    writeFileSync(file, stringify(config));

    const clock = new VirtualClock(Date.UTC(2026, 10, 22, 9, 0, 0));
    const { app, stacks } = buildApp({ files: [file], nag: false, context: LOCAL_CONTEXT, builtinCloudFormationValidation: false });
    const runtime = await LocalRuntime.start({
      app,
      clock,
      seed: 1,
      scenario: {
        description: 'retention sweep benchmark',
        regions: REGIONS,
        defaultAccessKey: 'AKIAGAMITOOLING11111',
        accounts: [
          { id: TOOLING, alias: 'tooling', accessKeys: [{ accessKeyId: 'AKIAGAMITOOLING11111', user: 'gami-pipeline' }] },
          ...CONSUMERS.map((id, i) => ({
            id,
            alias: `consumer-${i + 1}`,
            accessKeys: [{ accessKeyId: `AKIAGAMICONSUMER${i}000`.slice(0, 20), user: 'operator' }],
            roles: [{ name: 'GamiLaunchTemplateUpdater', trustedPrincipals: [`arn:aws:iam::${TOOLING}:root`] }],
          })),
        ],
      },
    });
    try {
      // Seed: a version every 2 hours, in every region.
      const seedStarted = performance.now();
      const world = runtime.cloud.world;
      const software = minimalSoftware();
      const perRegion = Math.ceil(images / REGIONS.length);
      const now = clock.now();
      // A year of versions, whatever their number (5,000 per region at 100,000 images: one every ~1.75 h).
      const spacing = (365 * 24 * HOUR_MS) / perRegion;
      const used: { region: string; imageId: string }[] = [];
      for (let v = 1; v <= perRegion; v++) {
        const created = now - (perRegion - v) * spacing;
        const status = v % 50 === 0 ? 'rejected' : perRegion - v < 12 ? 'approved' : 'deprecated';
        for (const region of REGIONS) {
          const image = addImage(world, TOOLING, region, {
            name: `web-base-${v}`,
            software,
            creationDate: created,
            launchPermissions: { userIds: CONSUMERS },
            deprecationTime: status === 'deprecated' ? created + 30 * 24 * HOUR_MS : undefined,
            tags: { 'gami:pipeline': 'web-base', 'gami:version': String(v), 'gami:status': status },
          });
          // Consumers run a few old versions: every 500th version, in every region.
          if (v % 500 === 1) used.push({ region, imageId: image.imageId });
        }
      }
      for (const [i, { region, imageId }] of used.entries()) {
        const account = CONSUMERS[i % CONSUMERS.length];
        const key = Object.values(world.state.accessKeys).find((k) => k.accountId === account)!;
        const ec2 = createClient(EC2Client, { region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey ?? 'local' } });
        await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `app-${i}`, LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.small' } }));
        ec2.destroy();
        if (i % 3 === 0) addRunningInstance(world, account, region, world.region(TOOLING, region).images[imageId]);
      }
      const seedMs = performance.now() - seedStarted;

      const sfn = runtime.sfnClient();
      const arn = runtime.stateMachines[resourceNames(stacks[0].pipeline.config.name).retentionSweep];
      const started = performance.now();
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
      const description = await followExecution(sfn, executionArn!, { wait: () => clock.sleep(60_000) });
      const wallMs = performance.now() - started;
      let historyEvents = 0;
      let token: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: token }));
        historyEvents += page.events?.length ?? 0;
        token = page.nextToken;
      } while (token);
      if (description.status !== 'SUCCEEDED') throw new Error(`the sweep ended ${description.status}: ${description.error}: ${description.cause}`);
      const output = JSON.parse(description.output ?? '{}') as { registry: { table: string; pk: string; sk: string }; report: { done: SweepFigures['done'] } };
      const item = (await registryClient().send(new GetCommand({ TableName: output.registry.table, Key: { pk: output.registry.pk, sk: output.registry.sk } }))).Item;
      const base = item?.report as ReportBase;
      const itemBytes = Buffer.byteLength(JSON.stringify(item));
      return {
        images: perRegion * REGIONS.length,
        regions: REGIONS.length,
        accounts: 1 + CONSUMERS.length,
        wallMs,
        seedMs,
        status: description.status ?? '',
        batches: base.batches,
        historyEvents,
        maxDescribeImagesCalls: Math.max(...Object.values(base.describeImagesCalls)),
        describeImagesBound: Math.ceil(perRegion / 1000),
        planned: base.planned,
        done: output.report.done,
        reportItemBytes: itemBytes,
      };
    } finally {
      await runtime.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
