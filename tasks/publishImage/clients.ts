/** The clients publishImage's logic needs (the publish handler's, and the clean-up's when it restores parameters). */
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { createClient } from '../clients';
import { ec2Client } from '../common/ec2';
import { regionalClient } from '../common/regional';
import { ssmClient } from '../common/ssm';
import type { PublishClients } from './publishImage';

const sts = () => regionalClient('sts', undefined, (region) => createClient(STSClient, { region }));

export function publishClients(): PublishClients {
  return {
    ssm: ssmClient,
    sts: sts(),
    // Clients with assumed-role credentials live for one invocation: the credentials expire after 15 minutes.
    ssmAs: (region, credentials) => createClient(SSMClient, { region, credentials }),
    ec2: ec2Client,
  };
}
