/**
 * CreateTags / DeleteTags on images, instances, snapshots and launch templates of the caller's account.
 * Image tags go through the world so the tag index used by DescribeImages stays right.
 */
import type { CreateTagsCommandInput, Tag, CreateTagsCommandOutput, DeleteTagsCommandInput, DeleteTagsCommandOutput } from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import type { Operation, OperationContext } from '../../operations';
import type { Tags } from '../../world';
import { checkIdFormat } from './common';
import { checkTagCount, isReservedTagKey, MAX_RESOURCES_PER_CREATE_TAGS, validateTag } from './limits';

type Tagged = { kind: 'image'; id: string } | { kind: 'other'; tags: Tags };

function resource(ctx: OperationContext, id: string): Tagged {
  const r = ctx.regionState;
  const prefix = id.split('-')[0];
  switch (prefix) {
    case 'ami':
      checkIdFormat(id, 'ami', 'InvalidAMIID.Malformed');
      if (!r.images[id]) fail('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
      return { kind: 'image', id };
    case 'i':
      checkIdFormat(id, 'i', 'InvalidInstanceID.Malformed');
      return { kind: 'other', tags: (r.instances[id] ?? fail('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)).tags };
    case 'snap':
      checkIdFormat(id, 'snap', 'InvalidSnapshotID.Malformed');
      return { kind: 'other', tags: (r.snapshots[id] ?? fail('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`)).tags };
    case 'lt':
      return { kind: 'other', tags: (r.launchTemplates[id] ?? fail('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`)).tags };
    default:
      return fail('InvalidID', `The ID '${id}' is not valid`);
  }
}

/** CreateTags and DeleteTags take up to 1,000 resource ids (API reference; message: assumption). */
function checkResourceCount(count: number): void {
  if (count > MAX_RESOURCES_PER_CREATE_TAGS) fail('InvalidParameterValue', `The request may contain at most ${MAX_RESOURCES_PER_CREATE_TAGS} resource ids (${count} given).`);
}

export const createTags: Operation<CreateTagsCommandInput, CreateTagsCommandOutput> = async (ctx, input) => {
  if (!input.Resources?.length) fail('MissingParameter', 'The request must contain the parameter ResourceId');
  const newTags: Tag[] = input.Tags ?? [];
  if (newTags.length === 0) fail('MissingParameter', 'The request must contain the parameter Tags');
  checkResourceCount(input.Resources.length);
  const targets = input.Resources.map((id) => resource(ctx, id));
  for (const tag of newTags) validateTag(tag.Key ?? '', tag.Value ?? '');
  // All or nothing: no resource is tagged when one of them would pass 50 user tags (aws: tags do not count).
  for (const target of targets) checkTagCount(target.kind === 'image' ? ctx.regionState.images[target.id].tags : target.tags, newTags.map((t) => t.Key ?? ''));
  for (const target of targets) {
    for (const tag of newTags) {
      const key = tag.Key ?? '';
      const value = tag.Value ?? '';
      if (target.kind === 'image') ctx.world.setImageTag(ctx.account, ctx.region, ctx.regionState.images[target.id], key, value);
      else target.tags[key] = value;
    }
  }
  return {};
};

export const deleteTags: Operation<DeleteTagsCommandInput, DeleteTagsCommandOutput> = async (ctx, input) => {
  if (!input.Resources?.length) fail('MissingParameter', 'The request must contain the parameter ResourceId');
  checkResourceCount(input.Resources.length);
  for (const tag of input.Tags ?? []) {
    if (isReservedTagKey(tag.Key ?? '')) fail('InvalidParameterValue', `Value ( ${tag.Key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`);
  }
  const targets = input.Resources.map((id) => resource(ctx, id));
  for (const target of targets) {
    const tags = target.kind === 'image' ? ctx.regionState.images[target.id].tags : target.tags;
    // Without Tags every user tag goes (AWS keeps its own aws: tags); a tag with a Value goes only when it matches.
    const selected: { Key?: string; Value?: string }[] = input.Tags ?? Object.keys(tags).filter((k) => !isReservedTagKey(k)).map((Key) => ({ Key }));
    for (const tag of selected) {
      const key = tag.Key ?? '';
      if (!(key in tags) || (tag.Value !== undefined && tags[key] !== tag.Value)) continue;
      if (target.kind === 'image') ctx.world.deleteImageTag(ctx.account, ctx.region, ctx.regionState.images[target.id], key);
      else delete target.tags[key];
    }
  }
  return {};
};
