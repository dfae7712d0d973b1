import { SNSClient } from '@aws-sdk/client-sns';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The SNS client of `region` (default: the function's region). */
export const snsClient = (region?: string): SNSClient => regionalClient('sns', region, (r) => createClient(SNSClient, { region: r }));
