import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { createClient } from '../clients';
import { publishImageEventSchema } from '../contracts';
import { ec2Client } from '../common/ec2';
import { taskHandler } from '../common/handler';
import { regionalClient } from '../common/regional';
import { ssmClient } from '../common/ssm';
import { publishImage } from './publishImage';

const sts = () => regionalClient('sts', undefined, (region) => createClient(STSClient, { region }));

export const handler = taskHandler('publishImage', publishImageEventSchema, (event) =>
  publishImage(
    {
      ssm: ssmClient,
      sts: sts(),
      // Clients with assumed-role credentials live for one invocation: the credentials expire after 15 minutes.
      ssmAs: (region, credentials) => createClient(SSMClient, { region, credentials }),
      ec2: ec2Client,
    },
    event,
  ),
);
