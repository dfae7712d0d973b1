/**
 * Stage — Publish: the latest golden image id in SSM (data type aws:ec2:image) in every region, in the tooling
 * account and in each consumer account of publish.accounts through its role.
 *
 *   Publish Latest Image  publishImage {parameterName, regionImages, accounts, externalId} → {parameters}; PublishFailed
 *   Record Published      recordStage Publish {parameters}
 *
 * Without a publish section nothing is written and the stage records that.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { crossAccountExternalId } from '../../pipeline/cross-account';
import { runArgument, stageTask, type StageContext } from './common';
import { recordDistributionStage } from './distribute';

export function publishStage(ctx: StageContext, next: sfn.IChainable): sfn.IChainable {
  const { config } = ctx;
  const record = recordDistributionStage(ctx, 'Record Published', 'Publish', "{% {'parameters': $parameters} %}");
  record.next(next);
  if (!config.publish) {
    return sfn.Pass.jsonata(ctx.scope, 'Nothing To Publish', { assign: { parameters: [] } }).next(record);
  }
  const publish = stageTask(ctx, 'Publish', 'Publish Latest Image', 'publishImage', {
    run: runArgument(config.name),
    parameterName: config.publish.ssmParameter,
    regionImages: '{% $regionImages %}',
    accounts: config.publish.accounts.map(({ account, roleName }) => ({ account, roleName })),
    externalId: crossAccountExternalId(config.name),
    version: '{% $version %}',
    keepNewer: '{% $redistribute %}',
  }, { assign: { parameters: '{% $states.result.Payload.parameters %}' } });
  publish.next(record);
  return publish;
}
