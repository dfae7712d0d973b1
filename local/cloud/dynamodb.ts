/**
 * DynamoDB is not simulated: dynalite (a real DynamoDB implementation on LevelDB) runs in process on a
 * loopback port — in memory for tests, on disk under `.gami/` for the local runtime. The cloud plugin sends
 * every DynamoDB client's requests there.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';

export interface DynamoDbServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  close(): Promise<void>;
}

/** Start dynalite. `path` = LevelDB directory (persistent); without it, data lives in memory. */
export async function startDynamoDb(options: { path?: string; port?: number } = {}): Promise<DynamoDbServer> {
  // Table state changes are instant locally: CreateTable's CREATING phase would only slow tests down.
  const server: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
