/**
 * The approval signing key (HMAC of links and CSRF tokens): a Secrets Manager secret generated at deploy
 * (infra/approval-api.ts; locally seeded from the same synthesized template). Read once per process and cached,
 * as Lambda intends; a rotated secret takes effect on the next cold start (links signed before stay valid only
 * until then — an accepted cost: rotation is rare and a new link is one more email).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MIN_SIGNING_KEY_BYTES } from './links';

const cache = new Map<string, Promise<Buffer>>();

async function load(client: SecretsManagerClient, secretId: string): Promise<Buffer> {
  const { SecretString, SecretBinary } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const key = SecretString !== undefined ? Buffer.from(SecretString, 'utf8') : SecretBinary ? Buffer.from(SecretBinary) : Buffer.alloc(0);
  if (key.length < MIN_SIGNING_KEY_BYTES) throw new Error(`the approval signing key ${secretId} is shorter than ${MIN_SIGNING_KEY_BYTES} bytes`);
  return key;
}

/** The signing key in `secretId`; a failed read is not cached, so the next invocation tries again. */
export function signingKey(client: SecretsManagerClient, secretId: string): Promise<Buffer> {
  let key = cache.get(secretId);
  if (!key) {
    key = load(client, secretId);
    cache.set(secretId, key);
    key.catch(() => cache.delete(secretId));
  }
  return key;
}

/** Forget cached keys (tests). */
export function clearSigningKeyCache(): void {
  cache.clear();
}
