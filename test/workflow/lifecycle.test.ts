import { startRuntime } from './runtime-fixture';

describe('lifecycle on the local engine', () => {
  it('bakes, tests and gates the example pipeline with input {}', async () => {
    const env = await startRuntime();
    try {
      const result = await env.run({});
      console.log(result.description.status, result.description.error, result.description.cause, JSON.stringify(result.output)?.slice(0, 2000));
      console.log(result.events.length, 'events', (env.clock.now() - Date.UTC(2026, 10, 22, 9)) / 60000, 'sim minutes');
      expect(result.description.status).toBe('SUCCEEDED');
    } finally {
      await env.stop();
    }
  });
});
