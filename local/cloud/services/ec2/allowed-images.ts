/**
 * EC2 Allowed AMIs, per account and region: GetAllowedImagesSettings, EnableAllowedImagesSettings (enabled |
 * audit-mode), DisableAllowedImagesSettings, ReplaceImageCriteriaInAllowedImagesSettings.
 *
 * An image is allowed when the account owns it (always, as EC2 documents) or it matches at least one criterion; a
 * criterion matches when every field it gives matches: ImageProviders (`amazon` — Amazon's images —, `none`, or owner
 * account ids), ImageNames (wildcards * and ?), ImageWatermarks (some watermark of the image satisfies one filter:
 * WatermarkKey and SourceImageRegion with wildcards, MaximumDaysSinceWatermarkCreated / SourceImageCreated),
 * CreationDateCondition, DeprecationTimeCondition. MarketplaceProductCodes and ScanResultCondition are not simulated:
 * a criterion that uses them is refused when set, so a test never believes it is checked.
 *
 * `enabled`: RunInstances with an image that is not allowed fails with AuthFailure "Not authorized for images"
 * (the answer EC2 gives for an image the caller may not use; an assumption for Allowed AMIs, whose refusal text AWS
 * does not publish). `audit-mode`: the launch goes ahead and the instance is flagged (DescribeInstances shows
 * nothing; the simulated record keeps `imageAllowed: false` for tests). In both states DescribeImages shows
 * ImageAllowed for every image.
 */
import type {
  DisableAllowedImagesSettingsCommandInput,
  DisableAllowedImagesSettingsCommandOutput,
  EnableAllowedImagesSettingsCommandInput,
  EnableAllowedImagesSettingsCommandOutput,
  GetAllowedImagesSettingsCommandInput,
  GetAllowedImagesSettingsCommandOutput,
  ImageCriterionRequest,
  ReplaceImageCriteriaInAllowedImagesSettingsCommandInput,
  ReplaceImageCriteriaInAllowedImagesSettingsCommandOutput,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import type { Operation } from '../../operations';
import type { ImageRecord, World } from '../../world';
import { globMatches } from './common';

export type AllowedImagesState = 'disabled' | 'audit-mode' | 'enabled';

export interface AllowedImagesSettings {
  state: AllowedImagesState;
  criteria: ImageCriterionRequest[];
}

const KEY = 'allowedImages';
const DAY = 86_400_000;

export function allowedImagesSettings(world: World, accountId: string, region: string): AllowedImagesSettings {
  return world.regionExtension<AllowedImagesSettings>(accountId, region, KEY, () => ({ state: 'disabled', criteria: [] }));
}

function criterionMatches(criterion: ImageCriterionRequest, image: ImageRecord, now: number): boolean {
  if (criterion.ImageProviders?.length) {
    const provider = criterion.ImageProviders.some((p) => (p === 'amazon' ? image.imageOwnerAlias === 'amazon' : p === image.ownerId));
    if (!provider) return false;
  }
  if (criterion.ImageNames?.length && !criterion.ImageNames.some((n) => globMatches(n, image.name))) return false;
  const maxCreated = criterion.CreationDateCondition?.MaximumDaysSinceCreated;
  if (maxCreated !== undefined && now - image.creationDate > maxCreated * DAY) return false;
  const maxDeprecated = criterion.DeprecationTimeCondition?.MaximumDaysSinceDeprecated;
  if (maxDeprecated !== undefined && image.deprecationTime !== undefined && now - image.deprecationTime > maxDeprecated * DAY) return false;
  if (criterion.ImageWatermarks?.length) {
    const marked = (image.watermarks ?? []).some((w) =>
      (criterion.ImageWatermarks ?? []).some(
        (f) =>
          (f.WatermarkKey === undefined || globMatches(f.WatermarkKey, w.key)) &&
          (f.SourceImageRegion === undefined || globMatches(f.SourceImageRegion, w.sourceImageRegion)) &&
          (f.MaximumDaysSinceWatermarkCreated === undefined || now - w.creationTime <= f.MaximumDaysSinceWatermarkCreated * DAY) &&
          (f.MaximumDaysSinceSourceImageCreated === undefined || now - w.sourceImageCreationTime <= f.MaximumDaysSinceSourceImageCreated * DAY),
      ),
    );
    if (!marked) return false;
  }
  return true;
}

/** Whether `accountId`'s Allowed AMIs criteria in `region` allow `image` (whatever the state). */
export function imageAllowed(world: World, accountId: string, region: string, image: ImageRecord): boolean {
  if (image.ownerId === accountId) return true;
  const { criteria } = allowedImagesSettings(world, accountId, region);
  return criteria.some((c) => criterionMatches(c, image, world.clock.now()));
}

/**
 * RunInstances' check: refused when enabled and not allowed; returns false (launch flagged) in audit mode, true
 * otherwise.
 */
export function checkLaunchAllowed(world: World, accountId: string, region: string, image: ImageRecord): boolean {
  const { state } = allowedImagesSettings(world, accountId, region);
  if (state === 'disabled') return true;
  const allowed = imageAllowed(world, accountId, region, image);
  if (!allowed && state === 'enabled') fail('AuthFailure', `Not authorized for images: [${image.imageId}]`, { httpStatusCode: 400 });
  return allowed;
}

export const getAllowedImagesSettings: Operation<GetAllowedImagesSettingsCommandInput, GetAllowedImagesSettingsCommandOutput> = async (ctx) => {
  const settings = allowedImagesSettings(ctx.world, ctx.account, ctx.region);
  return { State: settings.state, ImageCriteria: structuredClone(settings.criteria) as GetAllowedImagesSettingsCommandOutput['ImageCriteria'], ManagedBy: 'account' };
};

export const enableAllowedImagesSettings: Operation<EnableAllowedImagesSettingsCommandInput, EnableAllowedImagesSettingsCommandOutput> = async (ctx, input) => {
  const state = input.AllowedImagesSettingsState;
  if (state !== 'enabled' && state !== 'audit-mode') fail('InvalidParameterValue', `Invalid value '${String(state)}' for AllowedImagesSettingsState`);
  allowedImagesSettings(ctx.world, ctx.account, ctx.region).state = state;
  return { AllowedImagesSettingsState: state };
};

export const disableAllowedImagesSettings: Operation<DisableAllowedImagesSettingsCommandInput, DisableAllowedImagesSettingsCommandOutput> = async (ctx) => {
  allowedImagesSettings(ctx.world, ctx.account, ctx.region).state = 'disabled';
  return { AllowedImagesSettingsState: 'disabled' };
};

export const replaceImageCriteriaInAllowedImagesSettings: Operation<
  ReplaceImageCriteriaInAllowedImagesSettingsCommandInput,
  ReplaceImageCriteriaInAllowedImagesSettingsCommandOutput
> = async (ctx, input) => {
  const criteria = input.ImageCriteria ?? [];
  if (criteria.length > 10) fail('InvalidParameterValue', 'At most 10 image criteria are allowed.');
  for (const c of criteria) {
    if (c.MarketplaceProductCodes?.length || c.ScanResultCondition) {
      fail('InvalidParameterValue', 'The simulated account does not evaluate MarketplaceProductCodes or ScanResultCondition criteria.');
    }
    if (c.ImageProviders?.includes('none') && c.ImageProviders.length > 1) fail('InvalidParameterValue', "When 'none' is specified, no other image providers can be specified.");
    if ((c.ImageWatermarks?.length ?? 0) > 50 || (c.ImageNames?.length ?? 0) > 50 || (c.ImageProviders?.length ?? 0) > 200) {
      fail('InvalidParameterValue', 'Too many values in an image criterion (ImageWatermarks 50, ImageNames 50, ImageProviders 200).');
    }
  }
  allowedImagesSettings(ctx.world, ctx.account, ctx.region).criteria = structuredClone(criteria);
  return { ReturnValue: true };
};
