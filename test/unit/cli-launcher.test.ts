import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// The installed command: package.json "bin" → bin/gami.js, a launcher that runs bin/gami.ts through tsx.
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });

describe('the gami launcher', () => {
  it('is what package.json "bin" names', () => {
    expect((JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin).toEqual({ gami: 'bin/gami.js' });
  });

  it('node bin/gami.js --help prints help, no error, exit 0', () => {
    const result = run(process.execPath, ['bin/gami.js', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: gami \[options\] \[command\]/);
    expect(result.stderr).toBe('');
  });

  it('passes the exit code through: a user error is one line and exit 2', () => {
    const result = run(process.execPath, ['bin/gami.js', 'schema', '--dir', '/nonexistent-gami-dir']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: --dir /nonexistent-gami-dir: no such directory\n');
  });

  it('npx gami --version runs the project\'s own bin (--no: never fetched from a registry)', () => {
    const result = run('npx', ['--no', '--', 'gami', '--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${version}\n`);
    expect(result.status).toBe(0);
  });
});
