/**
 * The simulated AWS cloud, assembled: a world (seeded from a scenario or loaded from `.gami/cloud.json`), the
 * client plugin that routes every SDK client built by `createClient` into it, dynalite for DynamoDB, and
 * persistence. Tests: `await Cloud.start({ clock, scenario })`; local runtime: add `stateDir: '.gami'`.
 */
import { join } from 'node:path';
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../clock';
import { startDynamoDb, type DynamoDbServer } from './dynamodb';
import { loadWorldState, persistWorld } from './persistence';
import { installCloudPlugin } from './plugin';
import { applyScenario, loadScenarioFile, parseScenario, type Scenario, type ScenarioInput } from './scenario';
import { World, type SnsMessage } from './world';

export { World } from './world';
export type { WorldState, SnsMessage } from './world';
export { ServiceError } from './errors';
export type { FaultRule, BehaviourFault } from './faults';

export const DEFAULT_SCENARIO = join(__dirname, 'scenarios', 'example.yaml');

/**
 * The clock time a persisted world was last saved at, if any. A runtime restarting on a scaled or virtual clock
 * should start that clock no earlier than this, or pending transitions would wait (and resources look created
 * in the future).
 */
export function savedWorldTime(stateDir: string): number | undefined {
  return loadWorldState(join(stateDir, 'cloud.json'))?.savedAt;
}

export interface CloudOptions {
  clock: Clock;
  /** Scenario to seed a new world: a YAML path or an object. Ignored when a saved world is loaded. */
  scenario?: string | ScenarioInput;
  /** Directory for persistent state (`cloud.json`, `dynamodb/`). Without it everything stays in memory. */
  stateDir?: string;
  /** Start dynalite (default true). */
  dynamodb?: boolean;
  /**
   * Export the scenario's `defaultAccessKey` as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when those are unset,
   * so handlers whose clients take credentials from the environment (as on Lambda) act as that account.
   */
  setEnvironmentCredentials?: boolean;
}

export class Cloud {
  private constructor(
    readonly world: World,
    readonly clock: Clock,
    private readonly dynamo: DynamoDbServer | undefined,
    private readonly uninstall: () => void,
    private readonly persistence: { flush(): void; stop(): void } | undefined,
    /** Whether this start loaded an existing world (true) or seeded a new one. */
    readonly resumed: boolean,
  ) {}

  static async start(options: CloudOptions): Promise<Cloud> {
    const statePath = options.stateDir ? join(options.stateDir, 'cloud.json') : undefined;
    const saved = statePath ? loadWorldState(statePath) : undefined;
    const world = new World({ clock: options.clock, state: saved });
    let scenario: Scenario | undefined;
    if (options.scenario !== undefined) {
      scenario = typeof options.scenario === 'string' ? loadScenarioFile(options.scenario) : parseScenario(options.scenario);
    }
    if (!saved && scenario) applyScenario(world, scenario, typeof options.scenario === 'string' ? options.scenario : '(inline)');
    const dynamo = options.dynamodb === false ? undefined : await startDynamoDb({ path: options.stateDir ? join(options.stateDir, 'dynamodb') : undefined });
    let uninstall: () => void;
    try {
      uninstall = installCloudPlugin(world, { dynamodbEndpoint: dynamo?.endpoint });
    } catch (error) {
      await dynamo?.close();
      throw error;
    }
    const defaultKey = scenario?.defaultAccessKey;
    if (options.setEnvironmentCredentials && defaultKey && !process.env.AWS_ACCESS_KEY_ID) {
      const record = world.state.accessKeys[defaultKey];
      process.env.AWS_ACCESS_KEY_ID = defaultKey;
      process.env.AWS_SECRET_ACCESS_KEY = record?.secretAccessKey ?? 'local';
    }
    const persistence = statePath ? persistWorld(world, statePath) : undefined;
    const cloud = new Cloud(world, options.clock, dynamo, uninstall, persistence, saved !== undefined);
    try {
      if (scenario && !saved && dynamo) await cloud.createTables(scenario);
      persistence?.flush();
    } catch (error) {
      // Leave nothing registered or listening behind a failed start.
      await cloud.stop();
      throw error;
    }
    return cloud;
  }

  /** `http://127.0.0.1:<port>` of dynalite, if running. */
  get dynamodbEndpoint(): string | undefined {
    return this.dynamo?.endpoint;
  }

  /** Messages published to SNS, oldest first; optionally those of one topic. */
  mailbox(topicArn?: string): SnsMessage[] {
    return this.world.state.mailbox.filter((m) => topicArn === undefined || m.topicArn === topicArn);
  }

  /** Write the world to disk now (persistent clouds only). */
  flush(): void {
    this.persistence?.flush();
  }

  async stop(): Promise<void> {
    this.uninstall();
    this.persistence?.stop();
    await this.dynamo?.close();
  }

  /**
   * Create a DynamoDB table in dynalite unless it exists — what a scenario or a deployed stack would have
   * created. On-demand billing; keys as given.
   */
  async ensureTable(table: { TableName: string; KeySchema: KeySchemaElement[]; AttributeDefinitions: AttributeDefinition[] }): Promise<void> {
    if (!this.dynamo) throw new Error('simulated cloud: DynamoDB is not running (started with dynamodb: false)');
    // Imported here so that clouds without tables never load the DynamoDB client.
    const { CreateTableCommand, DynamoDBClient, ResourceInUseException } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: this.dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      await this.clock.hold(client.send(new CreateTableCommand({ ...table, BillingMode: 'PAY_PER_REQUEST' })));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    } finally {
      client.destroy();
    }
  }

  private async createTables(scenario: Scenario): Promise<void> {
    for (const table of scenario.dynamodbTables) {
      const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
      await this.ensureTable({
        TableName: table.name,
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      });
    }
  }
}
