/**
 * CreateTags / DeleteTags on images, instances, snapshots and launch templates of the caller's account.
 * Image tags go through the world so the tag index used by DescribeImages stays right.
 */
import type { CreateTagsCommandInput, Tag, CreateTagsCommandOutput, DeleteTagsCommandInput, DeleteTagsCommandOutput } from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import type { Operation, OperationContext } from '../../operations';
import type { Tags } from '../../world';
import { checkIdFormat, validateTag } from './common';

const MAX_TAGS = 50;

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

export const createTags: Operation<CreateTagsCommandInput, CreateTagsCommandOutput> = async (ctx, input) => {
  if (!input.Resources?.length) fail('MissingParameter', 'The request must contain the parameter ResourceId');
  const newTags: Tag[] = input.Tags ?? [];
  if (newTags.length === 0) fail('MissingParameter', 'The request must contain the parameter Tags');
  const targets = input.Resources.map((id) => resource(ctx, id));
  for (const tag of newTags) validateTag(tag.Key ?? '', tag.Value ?? '');
  for (const target of targets) {
    const tags = target.kind === 'image' ? ctx.regionState.images[target.id].tags : target.tags;
    const keys = new Set([...Object.keys(tags), ...newTags.map((t) => t.Key ?? '')]);
    if (keys.size > MAX_TAGS) fail('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) per resource would be exceeded`);
  }
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
  const targets = input.Resources.map((id) => resource(ctx, id));
  for (const target of targets) {
    const tags = target.kind === 'image' ? ctx.regionState.images[target.id].tags : target.tags;
    // Without Tags every tag goes; a tag with a Value is deleted only when the value matches.
    const selected: { Key?: string; Value?: string }[] = input.Tags ?? Object.keys(tags).map((Key) => ({ Key }));
    for (const tag of selected) {
      const key = tag.Key ?? '';
      if (!(key in tags) || (tag.Value !== undefined && tags[key] !== tag.Value)) continue;
      if (target.kind === 'image') ctx.world.deleteImageTag(ctx.account, ctx.region, ctx.regionState.images[target.id], key);
      else delete target.tags[key];
    }
  }
  return {};
};
