import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { FinalizeHandlerArguments, FinalizeHandlerOutput } from '@smithy/types';
import { createClient, registerClientPlugin, registeredClientPlugins, type ClientPlugin } from '../../tasks/clients';

/** A plugin that answers DescribeImages itself, after the SDK's retry middleware (so retries apply). */
function answeringPlugin(name: string, answer: (attempt: number) => object): ClientPlugin {
  let attempt = 0;
  return {
    name,
    pluggable: () => ({
      applyToStack: (stack) =>
        stack.add(
          () =>
            async (_args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => ({
              output: { ...answer(++attempt), $metadata: { httpStatusCode: 200, attempts: attempt } },
              response: {},
            }),
          { step: 'finalizeRequest', priority: 'low', name, tags: [name] },
        ),
    }),
  };
}

const config = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
};

describe('createClient', () => {
  it('applies a plugin registered later to a client built earlier, and removes it again', async () => {
    // Prepare
    const ec2 = createClient(EC2Client, config);
    const unregister = registerClientPlugin(answeringPlugin('answer-images', () => ({ Images: [{ ImageId: 'ami-1' }] })));

    // Act
    const result = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));

    // Assess
    expect(result.Images).toEqual([{ ImageId: 'ami-1' }]);
    expect(registeredClientPlugins()).toEqual(['answer-images']);
    unregister();
    expect(registeredClientPlugins()).toEqual([]);
    expect(ec2.middlewareStack.identify().some((m) => m.startsWith('answer-images'))).toBe(false);
  });

  it('applies a registered plugin to clients built afterwards and refuses a duplicate name', () => {
    const plugin = answeringPlugin('dup', () => ({}));
    const unregister = registerClientPlugin(plugin);
    try {
      const ec2 = createClient(EC2Client, config);
      expect(ec2.middlewareStack.identify().some((m) => m.startsWith('dup'))).toBe(true);
      expect(() => registerClientPlugin(plugin)).toThrow('client plugin "dup" is already registered');
    } finally {
      unregister();
    }
  });
});
