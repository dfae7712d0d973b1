/**
 * The app's one bundling pass (infra/bundle.ts): complete CommonJS bundles per entry, deterministic output (stable
 * asset hashes), source maps without machine-specific paths, named errors, and the code each function gets.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntries, bundleName, BundlingFailed, handlerCode, LOCAL_CODE_CONTEXT, registerHandlerEntries } from '../../infra/bundle';

const FIXTURE = 'test/infra/fixtures/bundle-handler.ts';
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gami-bundle-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bundleEntries', () => {
  it('writes one complete CommonJS bundle and source map per entry, whose handler runs', async () => {
    const dirs = bundleEntries([FIXTURE, 'tasks/approval/handler.ts'], join(work, 'a', '.gami-bundles'));
    expect(Object.keys(dirs)).toEqual([FIXTURE, 'tasks/approval/handler.ts']);
    expect(dirs[FIXTURE]).toBe(join(work, 'a', '.gami-bundles', 'test-infra-fixtures-bundle-handler'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundled = require(join(dirs[FIXTURE], 'index.js')) as { handler: (e: { yaml: string }) => Promise<unknown> };
    await expect(bundled.handler({ yaml: 'a: [1, 2]' })).resolves.toEqual({ a: [1, 2] });
    const map = JSON.parse(readFileSync(join(dirs[FIXTURE], 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((s) => s.endsWith('test/infra/fixtures/bundle-handler.ts'))).toBe(true);
    expect(map.sources.every((s) => !s.startsWith('/'))).toBe(true);
    expect(readFileSync(join(dirs['tasks/approval/handler.ts'], 'index.js'), 'utf8')).toMatch(/^"use strict";/);
  });

  it('writes the same bytes every time (an unchanged handler keeps its asset hash)', () => {
    const first = bundleEntries([FIXTURE], join(work, 'b', '.gami-bundles'))[FIXTURE];
    const second = bundleEntries([FIXTURE], join(work, 'c', '.gami-bundles'))[FIXTURE];
    for (const file of ['index.js', 'index.js.map']) expect(readFileSync(join(second, file))).toEqual(readFileSync(join(first, file)));
  });

  it('fails with BundlingFailed naming the file, line and message', () => {
    const project = join(work, 'broken');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src', 'handler.ts'), 'export const handler = (;\n');
    let error: unknown;
    try {
      bundleEntries(['src/handler.ts'], join(project, 'out'), project);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BundlingFailed);
    expect((error as Error).message).toMatch(/src\/handler\.ts:1:\d+: /);
  });

  it('names each bundle directory after its entry', () => {
    expect(bundleName('tasks/prepare/handler.ts')).toBe('tasks-prepare-handler');
  });
});

describe('handlerCode', () => {
  const codeOf = (context: Record<string, unknown>) => {
    const app = new App({ outdir: mkdtempSync(join(work, 'app-')), context });
    const stack = new Stack(app, 'S');
    registerHandlerEntries(FIXTURE);
    const fn = new lambda.Function(stack, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: handlerCode(stack, FIXTURE) });
    return { app, code: (fn.node.defaultChild as lambda.CfnFunction).code as lambda.CfnFunction.CodeProperty };
  };

  it('is the entry bundle as an S3 asset when the stack is bundled', () => {
    const { app, code } = codeOf({});
    expect(code.s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    const asset = join(app.outdir, `asset.${String(code.s3Key).replace('.zip', '')}`);
    expect(readFileSync(join(asset, 'index.js'), 'utf8')).toContain('use strict');
  });

  it('is a placeholder for local runs and for stacks CDK is not bundling', () => {
    expect(codeOf({ [LOCAL_CODE_CONTEXT]: true }).code.zipFile).toBe(`// runs ${FIXTURE} locally`);
    expect(codeOf({ 'aws:cdk:bundling-stacks': [] }).code.zipFile).toContain('not bundled');
  });
});
