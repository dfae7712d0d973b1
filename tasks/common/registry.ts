/**
 * The registry table's document client. Items are plain objects; optional fields left undefined are dropped
 * rather than refused, because task results carry many optional fields.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createClient } from '../clients';
import { regionalClient } from './regional';

/** The document client for the registry table in `region` (default: the function's region). */
export const registryClient = (region?: string): DynamoDBDocumentClient =>
  regionalClient('dynamodb-document', region, (r) =>
    // The document client shares the base client's middleware stack, so the local plugin applies to both.
    DynamoDBDocumentClient.from(createClient(DynamoDBClient, { region: r }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
