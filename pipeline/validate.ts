/**
 * Load and validate pipeline files, reporting every problem of every file at once, each pinned to the file,
 * line and column it comes from: `pipelines/web.yaml:31:9 sharing.accounts[2]: "12345" is not a 12-digit AWS
 * account id`. Three passes, all of which run: YAML syntax, the zod schema, then cross-field rules (each on the
 * sections it needs, parsed on their own, so a mistake in one section does not hide a mistake in another).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import * as z from 'zod';
import { componentSchema, type Component } from './component';
import {
  approvalSchema,
  baseImageSchema,
  buildSchema,
  defaultInstanceProfile,
  distributionSchema,
  launchTemplateSchema,
  namingSchema,
  pipelineConfigObject,
  pipelineConfigSchema,
  retentionSchema,
  scanGateSchema,
  scheduleSchema,
  publishSchema,
  sharingSchema,
  type PipelineConfig,
} from './config';
import { checkSchedule, isTimeZone } from './cron';
import { MAX_AMI_NAME_LENGTH, MAX_CONFIG_JSON_BYTES, MAX_FILE_BYTES, MAX_LAUNCH_PERMISSION_ENTITIES, MAX_YAML_ALIAS_COUNT } from './limits';
import { checkImageSpec, checkRemediationWindows } from './image-spec';
import { checkNamingPattern, renderImageName } from './naming';
import { closest } from './suggest';

export type PathSegment = string | number;

export interface Diagnostic {
  /** The file as the user named it (relative paths stay relative). */
  file: string;
  line: number;
  col: number;
  /** Dotted config path, e.g. `sharing.accounts[2]`; empty for whole-file problems. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface LoadedComponent {
  /** As written in the pipeline file. */
  path: string;
  /** Resolved file path. */
  file: string;
  document: Component;
}

export interface LoadedPipeline {
  file: string;
  config: PipelineConfig;
  components: LoadedComponent[];
}

export interface ValidationResult {
  /** Present only when there is no error (warnings allowed). */
  pipeline?: LoadedPipeline;
  diagnostics: Diagnostic[];
}

export interface ValidateOptions {
  /** "Today" for exception expiry; default: now. */
  now?: Date;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const prefix = d.severity === 'warning' ? 'warning: ' : '';
  return d.path ? `${where} ${d.path}: ${prefix}${d.message}` : `${where} ${prefix}${d.message}`;
}

/** Source positions of a parsed YAML document, looked up by config path. */
class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private at(offset: number): { line: number; col: number } {
    return this.lines.linePos(offset);
  }

  /**
   * Position of the value at `path`; when the path does not exist (a missing key), the position of the
   * deepest ancestor that does. With `key: true`, the position of the key itself (unknown keys).
   */
  position(path: readonly PathSegment[], options: { key?: boolean } = {}): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let position = this.at(rangeStart(node) ?? 0);
    // Where the current node's key is: a missing key is reported at its parent's key (e.g. `build:`).
    let keyPosition = { line: 1, col: 1 };
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
        if (!pair) return keyPosition;
        if (last && options.key) return this.at(rangeStart(pair.key) ?? 0);
        keyPosition = this.at(rangeStart(pair.key) ?? 0);
        node = pair.value;
        const start = rangeStart(node);
        position = start === undefined ? keyPosition : this.at(start);
        if (start === undefined) break;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        const start = rangeStart(item);
        if (start === undefined) break;
        node = item;
        position = keyPosition = this.at(start);
      } else {
        break;
      }
    }
    return position;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

type Report = (path: readonly PathSegment[], message: string, options?: { key?: boolean; severity?: 'warning' }) => void;

interface ParsedYaml {
  data: unknown;
  report: Report;
  position: (path: readonly PathSegment[]) => { line: number; col: number };
}

/** Read and parse one YAML file; syntax errors go to `diagnostics`. Returns undefined if unusable. */
function parseYamlFile(file: string, diagnostics: Diagnostic[]): ParsedYaml | undefined {
  const fileProblem = (message: string, line = 1, col = 1) => diagnostics.push({ file, line, col, path: '', message, severity: 'error' });
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      fileProblem(`the file is ${Math.ceil(size / 1024)} KiB; a pipeline or component file is at most ${MAX_FILE_BYTES / 1024} KiB`);
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const known: Record<string, string> = { ENOENT: 'file not found', EISDIR: 'is a directory, not a YAML file', EACCES: 'cannot read file (permission denied)' };
    fileProblem(known[code ?? ''] ?? `cannot read file (${code ?? String(error)})`);
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      fileProblem(`YAML: ${error.message.split('\n')[0]}`, line, col);
    }
    return undefined;
  }
  // Aliases: one that names no anchor, and aliases that expand into too much data ("billion laughs"), are
  // refused here, at the alias, before converting the document (which would throw).
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_key, node) => void aliases.push(node) });
  let aliasProblems = 0;
  for (const alias of aliases) {
    if (alias.resolve(doc) !== undefined) continue;
    const { line, col } = lines.linePos(rangeStart(alias) ?? 0);
    fileProblem(`YAML: alias *${alias.source} refers to no anchor (an anchor &${alias.source} must come before it)`, line, col);
    aliasProblems++;
  }
  if (aliasProblems > 0) return undefined;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (error) {
    const { line, col } = lines.linePos(rangeStart(aliases[0]) ?? 0);
    const message = error instanceof Error ? error.message : String(error);
    fileProblem(
      /alias count/i.test(message)
        ? `YAML: the aliases expand into more than ${MAX_YAML_ALIAS_COUNT} repeated nodes (an alias bomb?); write the values out`
        : `YAML: ${message.split('\n')[0]}`,
      line,
      col,
    );
    return undefined;
  }
  const map = new SourceMap(doc, lines);
  const report: Report = (path, message, options = {}) => {
    const { line, col } = map.position(path, options);
    diagnostics.push({ file, line, col, path: formatPath(path), message, severity: options.severity ?? 'error' });
  };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    report([], 'the file must hold a YAML mapping (key: value pairs)');
    return undefined;
  }
  return { data, report, position: (path) => map.position(path) };
}

// ---- zod issues → diagnostics ------------------------------------------------------------------------------

/** Keys an object schema accepts at `path` (for "did you mean"). Unwraps defaults, optionals, arrays, unions. */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const candidates = schemasAt(schema, path);
  return [...new Set(candidates.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : [])))];
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) {
    return unwrap(schema.def.innerType as z.ZodType);
  }
  if (schema instanceof z.ZodUnion) return (schema.def.options as z.ZodType[]).flatMap(unwrap);
  if (schema instanceof z.ZodPipe) return unwrap(schema.def.in as z.ZodType);
  return [schema];
}

function schemasAt(schema: z.ZodType, path: readonly PathSegment[]): z.ZodType[] {
  let current = unwrap(schema);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const s of current) {
      if (s instanceof z.ZodObject && typeof segment === 'string' && segment in s.shape) next.push(...unwrap(s.shape[segment]));
      else if (s instanceof z.ZodArray && typeof segment === 'number') next.push(...unwrap(s.def.element as z.ZodType));
      else if (s instanceof z.ZodRecord) next.push(...unwrap(s.def.valueType as z.ZodType));
    }
    current = next;
  }
  return current;
}

function describeInput(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function reportIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, base: readonly PathSegment[], report: Report) {
  for (const issue of issues) {
    const path = [...base, ...(issue.path as PathSegment[])];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const suggestion = closest(key, knownKeys(schema, issue.path as PathSegment[]));
          report([...path, key], `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, { key: true });
        }
        break;
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        if (input === undefined) {
          report(path, `required key "${String(path[path.length - 1])}" is missing`);
        } else if (issue.message.startsWith('Invalid input')) {
          report(path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeInput(input)}`);
        } else {
          report(path, issue.message);
        }
        break;
      }
      case 'invalid_union': {
        if ((issue as { input?: unknown }).input === undefined) {
          report(path, `required key "${String(path[path.length - 1])}" is missing`);
          break;
        }
        // Report the branch the user evidently meant (the one without unknown keys at its root), if any.
        const meant = issue.errors.filter((branch) => !branch.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0));
        if (meant.length === 1 && meant[0].length > 0) reportIssues(meant[0], schema, path, report);
        else report(path, issue.message);
        break;
      }
      case 'invalid_key':
        // A record key (a tag key): the key's own message, at the key.
        for (const inner of issue.issues) report(path, inner.message, { key: true });
        break;
      default:
        report(path, issue.message);
    }
  }
}

/** Parse `value` with `schema`, reporting problems at `path`; returns the parsed value when valid. */
function check<T extends z.ZodType>(schema: T, value: unknown, path: readonly PathSegment[], report: Report): z.output<T> | undefined {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  reportIssues(result.error.issues, schema, path, report);
  return undefined;
}

/** Parse `value` silently: cross-field rules only run on sections that are themselves valid. */
function quietly<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

// ---- Components --------------------------------------------------------------------------------------------

export function loadComponent(file: string, diagnostics: Diagnostic[]): Component | undefined {
  const parsed = parseYamlFile(file, diagnostics);
  if (!parsed) return undefined;
  const component = check(componentSchema, parsed.data, [], parsed.report);
  if (!component) return undefined;
  const phases = new Map<string, number>();
  component.phases.forEach((phase, p) => {
    if (phases.has(phase.name)) parsed.report(['phases', p, 'name'], `phase "${phase.name}" appears twice (first at phases[${phases.get(phase.name)}])`);
    phases.set(phase.name, p);
    const steps = new Map<string, number>();
    phase.steps.forEach((step, s) => {
      if (steps.has(step.name)) {
        parsed.report(['phases', p, 'steps', s, 'name'], `step "${step.name}" appears twice in phase ${phase.name}`);
      }
      steps.set(step.name, s);
    });
  });
  return component;
}

// ---- Pipelines ---------------------------------------------------------------------------------------------

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Validate one pipeline file and its component files. */
export function validatePipelineFile(file: string, options: ValidateOptions = {}): ValidationResult {
  return validateOne(file, options).result;
}

/** Within a file, top to bottom; the pipeline file before its component files. */
function sortDiagnostics(file: string, diagnostics: Diagnostic[]): void {
  const order = [...new Set([file, ...diagnostics.map((d) => d.file)])];
  diagnostics.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line || a.col - b.col);
}

/** Where a value that must be unique across pipeline files is, for cross-file reports. */
interface Claim {
  value: string;
  line: number;
  col: number;
}

function validateOne(file: string, options: ValidateOptions): { result: ValidationResult; claims: Partial<Record<'name' | 'instanceProfile', Claim>> } {
  const diagnostics: Diagnostic[] = [];
  const claims: Partial<Record<'name' | 'instanceProfile', Claim>> = {};
  const parsed = parseYamlFile(file, diagnostics);
  if (!parsed) return { result: { diagnostics }, claims };
  const { data, report } = parsed;
  const raw = data as Record<string, unknown>;
  const config = check(pipelineConfigSchema, raw, [], report);
  const bytes = Buffer.byteLength(JSON.stringify(raw));
  if (bytes > MAX_CONFIG_JSON_BYTES) {
    report([], `the configuration is ${Math.ceil(bytes / 1024)} KiB as JSON; at most ${MAX_CONFIG_JSON_BYTES / 1024} KiB (it is embedded in the state machine)`);
  }

  crossFieldRules(raw, report, options.now ?? new Date());
  const components = loadComponents(file, raw, report, diagnostics);

  const name = quietly(pipelineConfigObject.shape.name, raw.name);
  if (name) claims.name = { value: name, ...parsed.position(['name']) };
  const build = quietly(buildSchema, raw.build);
  if (name && build) {
    claims.instanceProfile = {
      value: build.instanceProfile ?? defaultInstanceProfile(name),
      ...parsed.position(build.instanceProfile ? ['build', 'instanceProfile'] : ['build']),
    };
  }

  sortDiagnostics(file, diagnostics);
  const hasError = diagnostics.some((d) => d.severity === 'error');
  if (hasError || !config || !components) return { result: { diagnostics }, claims };
  return { result: { pipeline: { file, config, components }, diagnostics }, claims };
}

function loadComponents(file: string, raw: Record<string, unknown>, report: Report, diagnostics: Diagnostic[]) {
  const refs = quietly(pipelineConfigObject.shape.components, raw.components);
  if (!refs) return undefined;
  const loaded: LoadedComponent[] = [];
  const names = new Map<string, number>();
  let ok = true;
  refs.forEach((ref, i) => {
    const componentFile = resolve(dirname(file), ref.path);
    if (!existsSync(componentFile)) {
      report(['components', i, 'path'], `component file "${ref.path}" not found next to the pipeline file`);
      ok = false;
      return;
    }
    // Shown the way the user named the pipeline file: pipelines/example.yaml → pipelines/components/x.yaml.
    const shown = join(dirname(file), ref.path);
    const before = diagnostics.length;
    const document = loadComponent(shown, diagnostics);
    if (!document || diagnostics.slice(before).some((d) => d.severity === 'error')) {
      report(['components', i, 'path'], `component "${ref.path}" is invalid (see its errors)`);
      ok = false;
      return;
    }
    if (names.has(document.name)) {
      report(['components', i, 'path'], `component "${document.name}" is listed twice (also components[${names.get(document.name)}])`);
      ok = false;
    }
    names.set(document.name, i);
    loaded.push({ path: ref.path, file: componentFile, document });
  });
  return ok ? loaded : undefined;
}

/** Graviton instance families carry a "g" after the generation digit (t4g, m7gd, c7gn, x2gd, im4gn). */
function instanceArchitecture(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0];
  return /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) && !/^(g|vt|inf|trn|p|dl|f)\d/.test(family) ? 'arm64' : 'x86_64';
}

function crossFieldRules(raw: Record<string, unknown>, report: Report, now: Date): void {
  const retention = quietly(retentionSchema.prefault({}), raw.retention);
  if (retention && retention.deregisterAfterDays <= retention.deprecateAfterDays) {
    report(
      ['retention', 'deregisterAfterDays'],
      `deregisterAfterDays (${retention.deregisterAfterDays}) must be greater than deprecateAfterDays (${retention.deprecateAfterDays}): an image is deprecated before it is deregistered`,
    );
  }

  const build = quietly(buildSchema, raw.build);
  if (build && build.securityGroupIds.length === 0 && !build.vpcId) {
    report(['build', 'securityGroupIds'], 'give securityGroupIds, or vpcId so the stack creates a security group without ingress');
  }

  const architecture = quietly(pipelineConfigObject.shape.architecture, raw.architecture);
  const baseImage = quietly(baseImageSchema, raw.baseImage);
  if (architecture && baseImage && 'ssmParameter' in baseImage) {
    const other = architecture === 'x86_64' ? 'arm64' : 'x86_64';
    if (baseImage.ssmParameter.includes(other)) {
      report(['baseImage', 'ssmParameter'], `the parameter names an ${other} image but architecture is ${architecture}`);
    }
  }
  const instanceType = quietly(pipelineConfigObject.shape.instanceType, raw.instanceType);
  if (architecture && instanceType && instanceArchitecture(instanceType) !== architecture) {
    report(
      raw.instanceType === undefined ? ['architecture'] : ['instanceType'],
      `instance type ${instanceType} is ${instanceArchitecture(instanceType)} but architecture is ${architecture}`,
    );
  }

  const distribution = quietly(distributionSchema, raw.distribution);
  const sharing = quietly(sharingSchema.prefault({}), raw.sharing);
  if (distribution) {
    const seen = new Map<string, number>();
    distribution.targetRegions.forEach((target, i) => {
      if (target.region === distribution.sourceRegion) {
        report(['distribution', 'targetRegions', i, 'region'], `${target.region} is the source region; the baked image is already there`);
      } else if (seen.has(target.region)) {
        report(['distribution', 'targetRegions', i, 'region'], `${target.region} is listed twice (also targetRegions[${seen.get(target.region)}])`);
      }
      seen.set(target.region, i);
    });
    const sharesOutside = sharing && (sharing.accounts.length > 0 || sharing.organizationArn || sharing.organizationalUnitArns.length > 0);
    if (sharesOutside && distribution.encrypted) {
      const why = 'images encrypted with the default EBS key cannot be shared with other accounts';
      if (!distribution.sourceKmsKeyAlias) report(['distribution', 'sourceKmsKeyAlias'], `a customer managed KMS key is required for ${distribution.sourceRegion}: ${why}`);
      else if (distribution.sourceKmsKeyAlias === 'alias/aws/ebs') report(['distribution', 'sourceKmsKeyAlias'], `alias/aws/ebs cannot be used: ${why}`);
      distribution.targetRegions.forEach((target, i) => {
        if (!target.kmsKeyAlias) report(['distribution', 'targetRegions', i], `kmsKeyAlias is required for ${target.region}: ${why}`);
        else if (target.kmsKeyAlias === 'alias/aws/ebs') report(['distribution', 'targetRegions', i, 'kmsKeyAlias'], `alias/aws/ebs cannot be used: ${why}`);
      });
    }
  }

  if (sharing) {
    const seen = new Map<string, number>();
    sharing.accounts.forEach((account, i) => {
      if (seen.has(account)) report(['sharing', 'accounts', i], `account ${account} is listed twice (also accounts[${seen.get(account)}])`);
      seen.set(account, i);
    });
    const entities = sharing.accounts.length + sharing.organizationalUnitArns.length + (sharing.organizationArn ? 1 : 0);
    if (entities > MAX_LAUNCH_PERMISSION_ENTITIES) {
      report(
        ['sharing'],
        `shares with ${entities} accounts, OUs and organizations; an image can be shared with at most ${MAX_LAUNCH_PERMISSION_ENTITIES} ` +
          '(share with the organization or its OUs instead of many accounts)',
      );
    }
    const orgId = sharing.organizationArn?.split('/').pop();
    sharing.organizationalUnitArns.forEach((ou, i) => {
      const ouOrg = ou.split('/')[1];
      if (orgId && ouOrg !== orgId) report(['sharing', 'organizationalUnitArns', i], `this OU belongs to organization ${ouOrg}, not ${orgId} (organizationArn)`);
    });
  }

  // A consumer account's aws:ec2:image parameter must name an image it can see: shared with it by account (or,
  // unknowable here, through the organization or an OU).
  const publish = quietly(publishSchema, raw.publish);
  if (publish && sharing && !sharing.organizationArn && sharing.organizationalUnitArns.length === 0) {
    publish.accounts.forEach(({ account }, i) => {
      if (!sharing.accounts.includes(account)) {
        report(['publish', 'accounts', i, 'account'], `account ${account} is not in sharing.accounts: its parameter could not name an image it can see`);
      }
    });
  }

  const templates = Array.isArray(raw.launchTemplates) ? raw.launchTemplates : [];
  const regions = distribution ? [distribution.sourceRegion, ...distribution.targetRegions.map((t) => t.region)] : undefined;
  const templateKeys = new Map<string, number>();
  templates.forEach((value, i) => {
    const template = quietly(launchTemplateSchema, value);
    if (!template) return;
    const ids = [template.launchTemplateId, template.launchTemplateName].filter(Boolean);
    if (ids.length !== 1) report(['launchTemplates', i], 'give exactly one of launchTemplateId and launchTemplateName');
    if (regions && !regions.includes(template.region)) {
      report(
        ['launchTemplates', i, 'region'],
        `${template.region} is neither the source region nor a target region (${regions.join(', ')}): the image will not exist there`,
      );
    }
    if (!template.setDefault && template.autoScalingGroups.length > 0) {
      report(
        ['launchTemplates', i, 'autoScalingGroups'],
        'an instance refresh replaces instances from the version the group launches ($Default): with setDefault false the new version would not be rolled out',
      );
    }
    const key = `${template.account}/${template.region}/${ids[0]}`;
    if (templateKeys.has(key)) report(['launchTemplates', i], `this launch template is listed twice (also launchTemplates[${templateKeys.get(key)}])`);
    templateKeys.set(key, i);
  });

  const approval = quietly(approvalSchema.prefault({}), raw.approval);
  if (approval) {
    if (approval.required && approval.approvers.length === 0) {
      report(['approval', 'approvers'], 'approval is required but no approver is listed');
    } else if (approval.required && approval.minApprovals > new Set(approval.approvers).size) {
      const listed = new Set(approval.approvers).size;
      report(['approval', 'minApprovals'], `${approval.minApprovals} distinct approvals are needed but only ${listed} approver${listed === 1 ? ' is' : 's are'} listed`);
    }
    const seen = new Set<string>();
    approval.approvers.forEach((approver, i) => {
      if (seen.has(approver.toLowerCase())) report(['approval', 'approvers', i], `${approver} is listed twice`);
      seen.add(approver.toLowerCase());
    });
  }

  const scanGate = quietly(scanGateSchema.prefault({}), raw.scanGate);
  if (scanGate) {
    const today = isoDay(now);
    const seen = new Map<string, number>();
    scanGate.exceptions.forEach((exception, i) => {
      if (seen.has(exception.cve)) report(['scanGate', 'exceptions', i, 'cve'], `${exception.cve} has two exceptions (also exceptions[${seen.get(exception.cve)}])`);
      seen.set(exception.cve, i);
      if (exception.expiresOn < today) {
        report(['scanGate', 'exceptions', i, 'expiresOn'], `the exception for ${exception.cve} expired on ${exception.expiresOn}; it no longer applies`, {
          severity: 'warning',
        });
      }
    });
  }

  const schedule = quietly(scheduleSchema, raw.schedule);
  if (schedule) {
    const result = checkSchedule(schedule.cron);
    if (!result.ok) report(['schedule', 'cron'], result.message);
    if (!isTimeZone(schedule.timeZone)) report(['schedule', 'timeZone'], `"${schedule.timeZone}" is not an IANA time zone (e.g. Europe/Dublin, UTC)`);
  }

  const naming = quietly(namingSchema, raw.naming);
  if (naming) for (const problem of checkNamingPattern(naming.pattern)) report(['naming', 'pattern'], problem);
  const name = quietly(pipelineConfigObject.shape.name, raw.name);
  if (naming && name) {
    // The longest name the pattern can give: a six-digit version, the longer architecture, a date.
    const longest = renderImageName(naming.pattern, { pipeline: name, version: 999999, arch: 'x86_64', at: now });
    if (longest.length > MAX_AMI_NAME_LENGTH) {
      report(['naming', 'pattern'], `image names from this pattern reach ${longest.length} characters; AMI names are at most ${MAX_AMI_NAME_LENGTH}`);
    }
  }

  checkImageSpec(raw, report);
  checkRemediationWindows(quietly(scanGateSchema.prefault({}), raw.scanGate), report);
}

const CLAIMED: Record<'name' | 'instanceProfile', { path: string; what: string; why: string }> = {
  name: { path: 'name', what: 'pipeline name', why: 'stacks, state machines and tags are named after it' },
  instanceProfile: { path: 'build.instanceProfile', what: 'instance profile', why: 'each stack creates its own, and IAM names are unique per account' },
};

/**
 * Validate several files; diagnostics of all of them, in file order. Each file is validated on its own (one
 * file's problems never stop another's validation); then values that must be unique across pipelines — the
 * name and the builder instance profile — are checked, and a clash is reported in every file involved, each
 * naming the others' positions.
 */
export function validatePipelineFiles(files: readonly string[], options: ValidateOptions = {}): Array<ValidationResult & { file: string }> {
  const validated = files.map((file) => ({ file, ...validateOne(file, options) }));
  for (const kind of ['name', 'instanceProfile'] as const) {
    const byValue = new Map<string, typeof validated>();
    for (const entry of validated) {
      const claim = entry.claims[kind];
      if (claim) byValue.set(claim.value, [...(byValue.get(claim.value) ?? []), entry]);
    }
    for (const [value, holders] of byValue) {
      if (holders.length < 2) continue;
      for (const entry of holders) {
        const claim = entry.claims[kind]!;
        const others = holders.filter((o) => o !== entry).map((o) => `${o.file}:${o.claims[kind]!.line}:${o.claims[kind]!.col}`);
        const { path, what, why } = CLAIMED[kind];
        entry.result.diagnostics.push({
          file: entry.file,
          line: claim.line,
          col: claim.col,
          path,
          message: `${what} "${value}" is also used by ${others.join(', ')}; it must be unique (${why})`,
          severity: 'error',
        });
        delete entry.result.pipeline;
        sortDiagnostics(entry.file, entry.result.diagnostics);
      }
    }
  }
  return validated.map(({ file, result }) => ({ file, ...result }));
}
