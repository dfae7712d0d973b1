/**
 * Benchmark: DescribeImages with a tag filter over an account of 100,000 images, through the real SDK client
 * (EC2Client + the simulated cloud's client plugin). Target: p95 of the tag-filter pages 50 ms or less per
 * 1,000-image page. The verdict is on the p95 of all tag-filter pages together; the single worst page is reported,
 * not judged (one GC pause or a busy neighbour on a shared machine would otherwise flake the run).
 * (A real account holds at most 50,000 AMIs per Region by default — AMI quotas, adjustable; the images are seeded
 * directly, past that quota, to measure the index at twice the default.)
 *
 *   npx tsx bench/cloud.ts            (npm run bench:cloud)
 */
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { VirtualClock } from '../local/clock';
import { installCloudPlugin } from '../local/cloud/plugin';
import { addAccessKey, addAccount, addImage, minimalSoftware } from '../local/cloud/seed';
import { World } from '../local/cloud/world';
import { createClient } from '../tasks/clients';

const IMAGES = 100_000;
const PAGE = 1_000;
const TARGET_MS = 50;
const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const PIPELINES = ['web-base', 'api-base', 'batch-base', 'db-base', 'ml-base'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const clock = new VirtualClock(Date.UTC(2026, 10, 22));
  const world = new World({ clock, state: undefined });
  world.state.regions = [REGION];
  addAccount(world, ACCOUNT);
  const key = addAccessKey(world, ACCOUNT);
  const software = minimalSoftware();
  const seedStart = performance.now();
  for (let i = 0; i < IMAGES; i++) {
    const pipeline = PIPELINES[i % PIPELINES.length];
    addImage(world, ACCOUNT, REGION, {
      name: `${pipeline}-${i}`,
      software,
      creationDate: clock.now() - i * 60_000,
      tags: { 'gami:pipeline': pipeline, 'gami:version': String(i), Environment: 'prod' },
    });
  }
  const seedMs = performance.now() - seedStart;
  const uninstall = installCloudPlugin(world);
  const ec2 = createClient(EC2Client, { region: REGION, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: 'local' } });

  async function listAll(filterName: string, value: string): Promise<{ pages: number[]; images: number }> {
    const pages: number[] = [];
    let images = 0;
    let token: string | undefined;
    do {
      const start = performance.now();
      const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: filterName, Values: [value] }], MaxResults: PAGE, NextToken: token }));
      pages.push(performance.now() - start);
      images += out.Images?.length ?? 0;
      token = out.NextToken;
    } while (token);
    return { pages, images };
  }

  // Warm up the SDK client and JIT (first calls load middleware and compile).
  await listAll('tag:gami:pipeline', 'ml-base');

  const results: string[] = [];
  const judged: number[] = [];
  // The target is about tag filters; the name wildcard (no index, every image examined) is shown for reference.
  for (const [label, filter, value, counts] of [
    ['tag matching 20% (gami:pipeline=web-base)', 'tag:gami:pipeline', 'web-base', true],
    ['tag matching 100% (Environment=prod)', 'tag:Environment', 'prod', true],
    ['tag-key matching 100% (gami:version)', 'tag-key', 'gami:version', true],
    ['reference, not in the target: name wildcard matching 20% (web-base-*), no index', 'name', 'web-base-*', false],
  ] as const) {
    const { pages, images } = await listAll(filter, value);
    const sorted = [...pages].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1];
    if (counts) judged.push(...pages);
    results.push(
      `${label}: ${images} images in ${pages.length} pages; per page p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
  }
  uninstall();

  console.log(`DescribeImages over ${IMAGES.toLocaleString('en')} images (seeded in ${(seedMs / 1000).toFixed(1)} s), ${PAGE}-image pages, real EC2Client:`);
  for (const line of results) console.log(`  ${line}`);
  const all = [...judged].sort((a, b) => a - b);
  const p95 = percentile(all, 95);
  const ok = p95 <= TARGET_MS;
  console.log(
    `${ok ? 'PASS' : 'FAIL'}: tag-filter pages p95 ${p95.toFixed(1)} ms (target ≤ ${TARGET_MS} ms) over ${all.length} pages; max ${all[all.length - 1].toFixed(1)} ms (reported, not judged)`,
  );
  if (!ok) process.exitCode = 1;
}

void main();
