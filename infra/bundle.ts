/**
 * One esbuild pass for every Lambda entry point of the app, instead of one per function.
 *
 * NodejsFunction bundles each function on its own: 27 esbuild processes that each parse the AWS SDK, zod and
 * Powertools again (~21 s of a ~28 s synth). esbuild given all entry points at once parses every shared module
 * once and writes one bundle per entry (~4.5 s); each function then takes its own directory as a plain
 * `lambda.Code.fromAsset`. The bundles are the same as NodejsFunction's with the options below (each entry is
 * a complete CommonJS bundle; no code is shared between functions at run time).
 *
 * The pass runs lazily on the first function that needs code, once per app output directory, with every
 * entry the app can have (HANDLER_ENTRIES), so several pipeline stacks in one app share it. Bundles are
 * written inside the app's output directory, so source map paths (and with them the asset hashes) do not
 * depend on a temporary directory's name: an unchanged handler keeps its asset hash from synth to synth.
 */
import { Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildSync, type BuildOptions } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PROJECT_ROOT = resolve(__dirname, '..');

/**
 * Context flag for local runs and tests: every function gets a placeholder inline code instead of its bundle.
 * The state machine, IAM and every other property are the same; only the code asset differs, and locally the
 * handler runs from its entry file (the `gami:handler` metadata) anyway.
 */
export const LOCAL_CODE_CONTEXT = 'gami:local-code';

/** The esbuild options every handler bundle is built with. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // Maps give file:line in stack traces (NODE_OPTIONS=--enable-source-maps); the sources themselves would
  // triple the upload.
  sourcemap: true,
  sourcesContent: false,
  // ES module builds of the SDK and zod tree-shake far better (about a third smaller bundles).
  mainFields: ['module', 'main'],
  // Nothing external: the pinned SDK is bundled rather than trusting the runtime's copy — the same code as tested.
  external: [],
  logLevel: 'silent',
} as const satisfies BuildOptions;

export class BundlingFailed extends Error {
  override name = 'BundlingFailed';
}

/** A handler entry's bundle directory name: `tasks/prepare/handler.ts` → `tasks-prepare-handler`. */
export function bundleName(entry: string): string {
  return entry.replace(/\.[cm]?[jt]s$/, '').replace(/[^A-Za-z0-9]+/g, '-');
}

/**
 * Bundles `entries` (repository-relative .ts paths) into `outdir/<bundleName>/index.js` (+ `.map`), in one
 * esbuild pass. Returns each entry's directory. Throws BundlingFailed with esbuild's messages on an error.
 */
export function bundleEntries(entries: readonly string[], outdir: string, projectRoot = PROJECT_ROOT): Record<string, string> {
  const entryPoints = Object.fromEntries(entries.map((entry) => [`${bundleName(entry)}/index`, join(projectRoot, entry)]));
  let result;
  try {
    result = buildSync({ ...BUNDLE_OPTIONS, external: [...BUNDLE_OPTIONS.external], mainFields: [...BUNDLE_OPTIONS.mainFields], entryPoints, outdir, absWorkingDir: projectRoot });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors ?? [];
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
    throw new BundlingFailed(`bundling the Lambda handlers failed:\n${lines.join('\n') || String(error)}`);
  }
  if (result.errors.length > 0) throw new BundlingFailed(`bundling the Lambda handlers failed:\n${result.errors.map((e) => e.text).join('\n')}`);
  return Object.fromEntries(entries.map((entry) => [entry, join(outdir, bundleName(entry))]));
}

/** Every Lambda entry the app can deploy; set by the modules that define functions (registerHandlerEntries). */
const HANDLER_ENTRIES = new Set<string>();

/**
 * Declares entries for the app's one bundling pass. Call at module load, before any function is created; an
 * entry first seen later is bundled in a pass of its own.
 */
export function registerHandlerEntries(...entries: string[]): void {
  for (const entry of entries) HANDLER_ENTRIES.add(entry);
}

/** Bundle directories per app output directory: the one pass, shared by every stack of the app. */
const passes = new Map<string, Record<string, string>>();

/**
 * The deployment code of the handler at `entry` (repository-relative): its directory from the app's one bundling
 * pass, as a Lambda asset (handler `index.handler`). In a stack CDK is not bundling (`cdk ls`, or a stack left
 * out of `cdk deploy <stack>`), a placeholder instead, as NodejsFunction does; with LOCAL_CODE_CONTEXT, too.
 */
export function handlerCode(scope: Construct, entry: string): lambda.Code {
  // Local runs and tests run the handler from its entry file; only the code asset differs.
  if (scope.node.tryGetContext(LOCAL_CODE_CONTEXT)) return lambda.Code.fromInline(`// runs ${entry} locally`);
  if (!Stack.of(scope).bundlingRequired) return lambda.Code.fromInline(`// ${entry}: not bundled for this stack`);
  registerHandlerEntries(entry);
  const appOutdir = Stage.of(scope)?.outdir ?? resolve('cdk.out');
  const outdir = join(appOutdir, '.gami-bundles');
  let dirs = passes.get(appOutdir);
  if (!dirs) {
    rmSync(outdir, { recursive: true, force: true });
    dirs = bundleEntries([...HANDLER_ENTRIES].sort(), outdir);
    passes.set(appOutdir, dirs);
    // The assets are staged (copied to asset.<hash>) when each function is created; the pass's own output is
    // not part of the cloud assembly.
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  } else if (!dirs[entry]) {
    // An entry registered after the pass (a module loaded late): bundled on its own rather than refused.
    Object.assign(dirs, bundleEntries([entry], outdir));
  }
  const dir = dirs[entry];
  if (!dir || !existsSync(join(dir, 'index.js'))) throw new BundlingFailed(`${entry}: no bundle was written`);
  return lambda.Code.fromAsset(dir);
}
