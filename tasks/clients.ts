/**
 * The one AWS SDK client factory. Every handler builds its clients here (at module scope), and this is
 * the only seam between production code and the local runtime: a *client plugin* registered with
 * `registerClientPlugin` is applied to every client this factory has built or will build. On AWS no
 * plugin is registered and clients talk to AWS; locally a plugin routes each command to the simulated
 * cloud or the local Step Functions service. Handlers never know the difference.
 */
import type { MiddlewareStack, Pluggable } from '@smithy/types';

/** The parts of an AWS SDK v3 client a plugin may use. */
export interface SdkClient {
  // The stack's input/output types differ per client; plugins see them as the SDK's base shapes.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every client's stack must be accepted
  middlewareStack: MiddlewareStack<any, any>;
  config: object;
}

export interface ClientPlugin {
  /** Unique name; every middleware the plugin adds must carry it as a tag so it can be removed again. */
  readonly name: string;
  /** Add the plugin's middleware to one client. Called once per client. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- same as SdkClient.middlewareStack
  pluggable(client: SdkClient): Pluggable<any, any>;
}

const plugins = new Map<string, ClientPlugin>();
// Weak so that clients created in short-lived scopes can be collected.
const clients = new Set<WeakRef<SdkClient>>();

/**
 * Build an SDK client with the registered plugins applied.
 * @example const ec2 = createClient(EC2Client, { region: 'eu-west-1' });
 */
export function createClient<C extends SdkClient, Config>(
  ClientClass: new (config: Config) => C,
  config: Config,
): C {
  const client = new ClientClass(config);
  for (const plugin of plugins.values()) client.middlewareStack.use(plugin.pluggable(client));
  clients.add(new WeakRef(client));
  return client;
}

/**
 * Apply `plugin` to every client built so far and every client built from now on.
 * Returns a function that removes it again (tests register per test file or per test).
 */
export function registerClientPlugin(plugin: ClientPlugin): () => void {
  if (plugins.has(plugin.name)) throw new Error(`client plugin "${plugin.name}" is already registered`);
  plugins.set(plugin.name, plugin);
  for (const ref of clients) {
    const client = ref.deref();
    if (client) client.middlewareStack.use(plugin.pluggable(client));
    else clients.delete(ref);
  }
  return () => {
    if (plugins.get(plugin.name) !== plugin) return;
    plugins.delete(plugin.name);
    for (const ref of clients) ref.deref()?.middlewareStack.removeByTag(plugin.name);
  };
}

/** Names of the plugins in force (diagnostics). */
export function registeredClientPlugins(): string[] {
  return [...plugins.keys()];
}
