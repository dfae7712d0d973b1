/**
 * Stage — Share: every region's golden image ($regionImages: the source image and each copy) shared with
 * exactly the configured principals, in parallel over the regions.
 *
 *   Share In Regions   Map over $regionImages; shareImage {image, sharing, keyAccounts, kmsKeyAlias} →
 *                      {launchPermissions read back, removed, snapshotPermissions, kmsGrants}; ShareFailed
 *                      (a refusal, or the image found public after sharing)            → $shares
 *   Record Shared      recordStage Share {shares}
 *
 * Public sharing cannot be configured (sharing has no such field, the task event has no group) and is checked
 * after sharing all the same. The keys' grants go to every account that launches or reads the image: share
 * targets, launch template accounts and parameter accounts.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PipelineConfig } from '../../pipeline/config';
import { resolveImageSpec } from '../../pipeline/image-spec';
import { catchInto, invokeTask, runArgument, type StageContext } from './common';
import { recordDistributionStage } from './distribute';

/** Accounts that must be able to use each region's key: share targets, template and parameter accounts. */
export function keyAccounts(config: PipelineConfig): string[] {
  return [
    ...new Set([...config.sharing.accounts, ...config.launchTemplates.map((t) => t.account), ...(config.publish?.accounts ?? []).map((a) => a.account)]),
  ].sort();
}

/** Region → customer managed key alias of the image there (source key for the source region). */
export function keyAliasByRegion(config: PipelineConfig): Record<string, string | null> {
  const { distribution } = config;
  const aliases: Record<string, string | null> = {};
  const spec = resolveImageSpec(config);
  aliases[distribution.sourceRegion] = spec.encrypted ? (spec.kmsKeyAlias ?? null) : null;
  for (const target of distribution.targetRegions) aliases[target.region] = distribution.encrypted ? (target.kmsKeyAlias ?? null) : null;
  return aliases;
}

export function shareStage(ctx: StageContext, next: sfn.IChainable): sfn.IChainable {
  const { config } = ctx;
  const record = recordDistributionStage(ctx, 'Record Shared', 'Share', "{% {'shares': $shares} %}");
  record.next(next);

  const share = invokeTask(ctx, 'Share Image In Region', 'shareImage', {
    run: runArgument(config.name),
    image: '{% $states.input %}',
    sharing: {
      accounts: config.sharing.accounts,
      organizationArn: config.sharing.organizationArn ?? null,
      organizationalUnitArns: config.sharing.organizationalUnitArns,
      snapshotPermissions: config.sharing.snapshotPermissions,
    },
    keyAccounts: keyAccounts(config),
    kmsKeyAlias: `{% $lookup(${JSON.stringify(keyAliasByRegion(config)).replace(/"/g, "'")}, $states.input.region) %}`,
  });
  const map = sfn.Map.jsonata(ctx.scope, 'Share In Regions', {
    items: sfn.ProvideItems.jsonata('{% $regionImages %}'),
    maxConcurrency: config.distribution.copyConcurrency,
    assign: { shares: '{% $states.result %}' },
  });
  map.itemProcessor(share);
  catchInto(ctx, map, 'Share');
  map.next(record);
  return map;
}
