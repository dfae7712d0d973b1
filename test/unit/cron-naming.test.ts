import { checkSchedule, nextRun } from '../../pipeline/cron';
import { checkNamingPattern, renderImageName } from '../../pipeline/naming';
import { loadComponent, type Diagnostic } from '../../pipeline/validate';

describe('checkSchedule (EventBridge Scheduler syntax)', () => {
  it.each([
    'cron(0 3 ? * MON *)',
    'cron(15 10 ? * 6L 2027)',
    'cron(0/15 * * * ? *)',
    'cron(0 8 1W * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 0 L * ? *)',
    'rate(1 hour)',
    'rate(12 hours)',
  ])('accepts %s', (expression) => {
    expect(checkSchedule(expression).ok).toBe(true);
  });

  it.each([
    ['rate(1 hours)', '"rate(1 hours)": use "hour" with 1'],
    ['rate(5 weeks)', '"rate(5 weeks)" is not a rate expression (rate(<n> minutes|hours|days))'],
    ['0 3 * * *', '"0 3 * * *" is not a schedule expression (expected cron(...) or rate(...))'],
    ['cron(0 3 ? * FUNDAY *)', 'cron(0 3 ? * FUNDAY *): "FUNDAY" is not valid in the day-of-week field (1-7 or SUN-SAT)'],
    ['cron(0 3 ? 13 MON *)', 'cron(0 3 ? 13 MON *): "13" is not valid in the month field (1-12 or JAN-DEC)'],
    ['cron(0 3 ? * MON 1900)', 'cron(0 3 ? * MON 1900): "1900" is not valid in the year field (1970-2199)'],
    ['cron(? 3 1 * ? *)', 'cron(? 3 1 * ? *): "?" is only allowed in day-of-month and day-of-week'],
  ])('refuses %s', (expression, message) => {
    expect(checkSchedule(expression)).toEqual({ ok: false, message });
  });

  it('computes the next run in the schedule time zone (EventBridge day-of-week 2 = Monday)', () => {
    const from = new Date('2026-07-01T00:00:00Z'); // a Wednesday, Dublin on summer time (UTC+1)
    expect(nextRun('cron(30 6 ? * 2 *)', 'Europe/Dublin', from)?.toISOString()).toBe('2026-07-06T05:30:00.000Z');
    expect(nextRun('rate(1 day)', 'UTC', from)).toBeUndefined();
  });
});

describe('naming', () => {
  it('renders the pattern in UTC', () => {
    const at = new Date('2026-11-22T23:30:00Z');
    expect(renderImageName('{pipeline}-{version}-{yyyymmdd}', { pipeline: 'web-base', version: 12, arch: 'x86_64', at })).toBe(
      'web-base-12-20261122',
    );
    expect(renderImageName('{pipeline} {arch} {yyyymmddhhmm} ({timestamp})', { pipeline: 'p', version: 1, arch: 'arm64', at })).toBe(
      'p arm64 202611222330 (1795390200)',
    );
  });

  it('explains what is wrong with a pattern', () => {
    expect(checkNamingPattern('{pipeline}-{build}')).toEqual([
      'unknown token {build} (known: {pipeline}, {version}, {arch}, {yyyymmdd}, {yyyymmddhhmm}, {timestamp})',
      'the pattern must contain {version} or {timestamp}, or two builds would get the same AMI name',
    ]);
    expect(checkNamingPattern('{pipeline}:{version}')).toEqual([
      `"{pipeline}:{version}" contains characters an AMI name cannot hold (allowed: letters, digits, ( ) [ ] space . / - ' @ _)`,
    ]);
  });
});

describe('shipped components', () => {
  it.each(['os-update', 'ssh-hardening', 'cleanup'])('%s is a valid component', (name) => {
    const diagnostics: Diagnostic[] = [];
    const component = loadComponent(`pipelines/components/${name}.yaml`, diagnostics);
    expect(diagnostics).toEqual([]);
    expect(component?.name).toBe(name);
    expect(component?.phases.map((p) => p.name)).toContain('build');
  });

  it('the cleanup component covers every item of the checklist', () => {
    const component = loadComponent('pipelines/components/cleanup.yaml', [])!;
    const commands = component.phases.flatMap((p) => p.steps.flatMap((s) => s.inputs.commands)).join('\n');
    for (const item of ['ssh_host_', 'authorized_keys', 'bash_history', '.aws', '/tmp/', '/var/log', 'machine-id']) {
      expect(commands).toContain(item);
    }
  });
});
