import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { baseImageSoftware, bootSoftware } from '../../../local/cloud/packages/base-images';
import { planUpgrade } from '../../../local/cloud/packages/inventory';
import { repositoryForPlatform } from '../../../local/cloud/packages/repository';
import type { SoftwareState } from '../../../local/cloud/packages/types';
import { runShellScript } from '../../../local/cloud/ssm/shell';

const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

function al2023(): SoftwareState {
  const software = baseImageSoftware('al2023-2024-outdated');
  bootSoftware(software, { instanceId: 'i-0abc', keyName: 'builder' });
  return software;
}

describe('package managers', () => {
  it('dnf -y update brings every package to the repository version', async () => {
    // Prepare
    const software = al2023();
    // Act
    const result = await runShellScript(['dnf -y update'], software, { now: NOW });
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Upgrading:');
    expect(result.stdout.slice(result.stdout.indexOf('\nUpgraded:\n'))).toContain('\n  expat-2.6.3-1.amzn2023.0.4.x86_64\n');
    expect(result.stdout).toContain('Installing:\n kernel ');
    expect(result.stdout.trimEnd().endsWith('Complete!')).toBe(true);
    expect(planUpgrade(software, repositoryForPlatform('AMAZON_LINUX_2023')!)).toEqual([]);
    expect(software.packages.kernel.epoch).toBe(1);
    expect(result.durationMs).toBeGreaterThan(20_000);
  });

  it('dnf without -y aborts at the prompt and changes nothing', async () => {
    // Prepare
    const software = al2023();
    // Act
    const result = await runShellScript(['dnf upgrade --security'], software, { now: NOW });
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Is this ok [y/N]: ');
    expect(result.stderr).toBe('Operation aborted.\n');
    expect(software.packages.expat.version).toBe('2.5.0');
  });

  it('yum upgrade --security only takes updates with an advisory', async () => {
    // Prepare
    const software = al2023();
    // Act
    const result = await runShellScript(['yum -y upgrade --security', 'rpm -q dnf expat'], software, { now: NOW });
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('dnf-4.12.0-2.amzn2023.0.4.noarch\nexpat-2.6.3-1.amzn2023.0.4.x86_64\n');
    const second = await runShellScript(['dnf -y upgrade --security'], software, { now: NOW });
    expect(second.stdout).toContain('No security updates needed');
    expect(second.stdout).toContain('Nothing to do.');
  });

  it('dnf install resolves requirements and fails on unknown names', async () => {
    // Prepare
    const software = al2023();
    // Act
    const ok = await runShellScript(['dnf install -y nginx', 'systemctl enable --now nginx', 'rpm -q nginx generic-logos-httpd'], software, { now: NOW });
    const missing = await runShellScript(['dnf install -y no-such-tool'], software, { now: NOW });
    // Assess
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('nginx-1.24.0-1.amzn2023.0.1.x86_64\ngeneric-logos-httpd-18.0.0-12.amzn2023.0.3.noarch\n');
    expect(software.files['/etc/systemd/system/multi-user.target.wants/nginx.service']).toBe('/usr/lib/systemd/system/nginx.service');
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('No match for argument: no-such-tool');
    expect(missing.stderr).toBe('Error: Unable to find a match: no-such-tool\n');
  });

  it('apt needs apt-get update first, then upgrades and installs', async () => {
    // Prepare
    const software = baseImageSoftware('ubuntu-2204-outdated');
    // Act
    const stale = await runShellScript(['apt-get -y upgrade', 'apt-get install -y nginx'], software, { now: NOW });
    const fresh = await runShellScript(['export DEBIAN_FRONTEND=noninteractive', 'apt-get update && apt-get -y upgrade', 'apt-get install -y nginx', 'dpkg-query -W openssh-server nginx'], software, { now: NOW });
    // Assess
    expect(stale.exitCode).toBe(100);
    expect(stale.stdout).toContain('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.');
    expect(stale.stderr).toBe('E: Unable to locate package nginx\n');
    expect(fresh.exitCode).toBe(0);
    expect(fresh.stdout).toContain('Unpacking openssh-server:amd64 (1:8.9p1-3ubuntu0.13) over (1:8.9p1-3ubuntu0.1) ...');
    expect(fresh.stdout).toContain('openssh-server\t1:8.9p1-3ubuntu0.13\nnginx\t1.18.0-6ubuntu14.6\n');
    expect(planUpgrade(software, repositoryForPlatform('UBUNTU_22_04')!)).toEqual([]);
  });

  it('apt-get upgrade without -y aborts', async () => {
    const software = baseImageSoftware('ubuntu-2204-outdated');
    const result = await runShellScript(['apt-get update -q', 'apt-get upgrade'], software, { now: NOW });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Do you want to continue? [Y/n] Abort.');
    expect(software.packages.libc6.release).toBe('0ubuntu3.1');
  });

  it('the other family’s package manager is not there (127)', async () => {
    // Act
    const onUbuntu = await runShellScript(['dnf -y update'], baseImageSoftware('ubuntu-2204-outdated'), { now: NOW });
    const onAl = await runShellScript(['apt-get update', 'amazon-linux-extras install nginx1'], baseImageSoftware('al2023-2024-outdated'), { now: NOW });
    // Assess
    expect(onUbuntu.exitCode).toBe(127);
    // bash names the script line (`…/_script.sh: line 1: dnf: command not found`); just-bash says `bash: dnf: …`.
    expect(onUbuntu.stderr).toMatch(/dnf: command not found/);
    expect(onAl.exitCode).toBe(127);
    expect(onAl.stderr).toMatch(/apt-get: command not found/);
    expect(onAl.stderr).toMatch(/amazon-linux-extras: command not found/);
  });
});

describe('files', () => {
  it('hardens sshd_config with sed -i and verifies with grep', async () => {
    // Prepare
    const software = al2023();
    // Act
    const result = await runShellScript(
      [
        "sed -i 's/^#\\?PermitRootLogin .*/PermitRootLogin no/' /etc/ssh/sshd_config",
        "sed -i -E 's/^#?PasswordAuthentication (yes|no)/PasswordAuthentication no/' /etc/ssh/sshd_config",
        "echo 'ClientAliveInterval 300' >> /etc/ssh/sshd_config",
        "grep -q '^PermitRootLogin no$' /etc/ssh/sshd_config && grep -c '^PasswordAuthentication no' /etc/ssh/sshd_config",
        'sshd -t',
        'systemctl restart sshd',
      ],
      software,
      { now: NOW },
    );
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('1\n');
    const config = software.files['/etc/ssh/sshd_config'];
    expect(config).toContain('\nPermitRootLogin no\n');
    expect(config).not.toContain('#PermitRootLogin');
    expect(config.endsWith('ClientAliveInterval 300\n')).toBe(true);
    // `sshd -t` is simulated now (it used to pass as "not simulated"): it read the configuration and passed.
    expect(result.stderr).toBe('');
  });

  it('removes keys, history, logs and temp files the way cleanup scripts do', async () => {
    // Prepare
    const software = al2023();
    software.files['/root/.bash_history'] = 'ls\n';
    software.files['/tmp/build/artifact.tgz'] = 'x';
    software.files['/tmp/notes.txt'] = 'x';
    software.files['/var/log/messages'] = 'boot\n';
    // Act
    const result = await runShellScript(
      [
        'set -e',
        'shred -u /root/.bash_history',
        'rm -f /etc/ssh/ssh_host_*',
        'rm -rf /tmp/* /var/tmp/*',
        'find /var/log -type f -name "*.log" -exec truncate -s 0 {} \\;',
        'truncate -s 0 /var/log/messages',
        'rm -f /home/ec2-user/.ssh/authorized_keys',
        'cloud-init clean --logs',
      ],
      software,
      { now: NOW },
    );
    // Assess
    expect(result.exitCode).toBe(0);
    expect(Object.keys(software.files).filter((f) => f.startsWith('/etc/ssh/ssh_host_'))).toEqual([]);
    expect(software.files['/root/.bash_history']).toBeUndefined();
    expect(Object.keys(software.files).filter((f) => f.startsWith('/tmp/'))).toEqual([]);
    expect(software.files['/var/log/messages']).toBe('');
    expect(software.files['/var/log/cloud-init.log']).toBeUndefined();
    expect(software.files['/home/ec2-user/.ssh/authorized_keys']).toBeUndefined();
    expect(software.files['/var/lib/cloud/instance/instance-id']).toBeUndefined();
  });

  it('reports missing files like coreutils does', async () => {
    const result = await runShellScript(['cat /etc/nothing', 'rm /etc/nothing', 'shred -u /root/.bash_history'], al2023(), { now: NOW });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      "cat: /etc/nothing: No such file or directory\nrm: cannot remove '/etc/nothing': No such file or directory\nshred: /root/.bash_history: failed to open for writing: No such file or directory\n",
    );
  });

  it('writes here-documents with variable expansion, quoted ones verbatim', async () => {
    // Prepare
    const software = al2023();
    // Act
    await runShellScript(['NAME=web-base', 'cat > /etc/motd <<EOF', 'Golden image $NAME', 'EOF', "cat <<'EOF' > /etc/profile.d/gami.sh", 'export IMAGE=$NAME', 'EOF'], software, { now: NOW });
    // Assess
    expect(software.files['/etc/motd']).toBe('Golden image web-base\n');
    expect(software.files['/etc/profile.d/gami.sh']).toBe('export IMAGE=$NAME\n');
  });
});

describe('shell semantics', () => {
  it('without set -e the script continues and exits with the last status', async () => {
    const result = await runShellScript(['false', 'echo after'], al2023(), { now: NOW });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'after\n' });
  });

  it('set -e stops at the first failing command, except in conditions and && / || lists', async () => {
    // Act
    const result = await runShellScript(['set -e', 'false || echo recovered', 'false && echo skipped', 'if false; then echo no; else echo else-branch; fi', '! false', 'grep -q nothing /etc/os-release', 'echo unreachable'], al2023(), { now: NOW });
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('recovered\nelse-branch\n');
  });

  it('exit N ends the script with N; a subshell exit does not', async () => {
    const result = await runShellScript(['(exit 4)', 'echo "sub=$?"', 'exit 7', 'echo never'], al2023(), { now: NOW });
    expect(result).toMatchObject({ exitCode: 7, stdout: 'sub=4\n' });
  });

  it('pipes, pipefail, command substitution and for loops', async () => {
    // Act
    const result = await runShellScript(
      ['COUNT=$(rpm -qa | grep -c "^openssh")', 'echo "openssh packages: $COUNT"', 'for p in expat glibc; do rpm -q --qf "%{NAME} %{VERSION}\\n" $p; done', 'set -o pipefail', 'cat /missing | wc -l'],
      al2023(),
      { now: NOW },
    );
    // Assess
    expect(result.stdout).toBe('openssh packages: 3\nexpat 2.5.0\nglibc 2.34\n0\n');
    expect(result.exitCode).toBe(1);
  });

  it('set -u fails on an unset variable and set -x traces commands', async () => {
    const result = await runShellScript(['set -xu', 'echo "${MISSING:-default}"', 'echo "$MISSING"', 'echo never'], al2023(), { now: NOW, instanceId: 'i-1' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('default\n');
    expect(result.stderr).toContain('+ echo default\n');
    expect(result.stderr).toContain('MISSING: unbound variable');
  });

  it('unknown commands and missing scripts fail with 127, as in bash', async () => {
    // Act
    const result = await runShellScript(['set -e', 'aws s3 cp s3://bucket/agent.rpm /tmp/', 'echo never'], al2023(), { now: NOW });
    const missing = await runShellScript(['/opt/vendor/install.sh'], al2023(), { now: NOW });
    // Assess: the aws CLI is not on the simulated instance (it used to be "treated as succeeding").
    expect(result).toMatchObject({ exitCode: 127, stdout: '' });
    expect(result.stderr).toContain('aws: command not found');
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('/opt/vendor/install.sh: No such file or directory');
  });

  it('runs scripts written by earlier commands, with bash -c and sh file', async () => {
    const software = al2023();
    const result = await runShellScript(["printf '#!/bin/bash\\necho from-script\\nexit 3\\n' > /usr/local/bin/step.sh", 'sh /usr/local/bin/step.sh; echo "rc=$?"', 'bash -c "echo inline"'], software, { now: NOW });
    expect(result.stdout).toBe('from-script\nrc=3\ninline\n');
  });

  it('a syntax error stops the script where bash would, after earlier commands ran', async () => {
    // Act
    const result = await runShellScript(['echo first', 'if true; then', '  echo inside', 'fi fi'], al2023(), { now: NOW, instanceId: 'i-0abc' });
    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('first\n');
    expect(result.stderr).toMatch(/_script\.sh: line 4: syntax error near unexpected token `fi'/);
  });

  it('here-strings work as in bash (the hand-written shell refused them)', async () => {
    const result = await runShellScript(['cat <<< "here string"', 'echo after'], al2023(), { now: NOW });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'here string\nafter\n' });
  });

  it('runs while/until loops with break, case statements and functions with arguments', async () => {
    // Prepare
    const software = al2023();
    // Act
    const result = await runShellScript(
      [
        'wait_for() {',
        '  local tries=0',
        '  until test -f "$1"; do',
        '    touch "$1"',
        '  done',
        '  echo "found $1 ($# arg)"',
        '  return 3',
        '}',
        'wait_for /tmp/ready; echo "rc=$?"',
        'while true; do echo once; break; done',
        'for pkg in expat nginx; do',
        '  case "$pkg" in',
        '    exp*) echo "$pkg: xml" ;;',
        '    nginx|httpd) echo "$pkg: web";;',
        '    *) echo other ;;',
        '  esac',
        'done',
        'function os_family { case "$(cat /etc/os-release)" in *amzn*) echo rpm ;; *) echo deb ;; esac; }',
        'os_family',
      ],
      software,
      { now: NOW },
    );
    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('found /tmp/ready (1 arg)\nrc=3\nonce\nexpat: xml\nnginx: web\nrpm\n');
    expect(software.files['/tmp/ready']).toBe('');
  });

  it('ends a loop pass on continue, the loop on break, and a runaway loop at the execution timeout', async () => {
    const result = await runShellScript(
      ['for i in 1 2 3; do if [ "$i" = 2 ]; then continue; fi; echo "$i"; done', 'for i in a b; do echo "$i"; break; done', 'echo after'],
      al2023(),
      { now: NOW },
    );
    expect(result.stdout).toBe('1\n3\na\nafter\n');

    // bash spins until the agent kills the script at the execution timeout; nothing outside a script changes the
    // instance while it runs, so a loop that made 100,000 passes (1,000 here) never ends: the simulator skips to that end.
    const runaway = await runShellScript(['echo start', 'while true; do :; done'], al2023(), { now: NOW, timeoutMs: 600_000, maxLoopIterations: 1_000 });
    expect(runaway).toMatchObject({ timedOut: true, exitCode: -1, durationMs: 600_000, stdout: 'start\n', stderr: '' });
  });

  it('evaluates $(( )) arithmetic and the small text tools scripts lean on', async () => {
    // Act
    const result = await runShellScript(
      [
        'i=0',
        'while [ "$i" -lt 3 ]; do i=$((i + 1)); done',
        'echo "i=$i $(( (2 + 3) * 4 % 7 )) $((2 ** 10)) $((i > 2 && 1))"',
        'for n in $(seq 2 2 6); do printf "%s," "$n"; done; echo',
        'printf "b\\na\\nb\\n" | sort | uniq -c | tr -s " " | cut -d " " -f 2,3 | tr "\\n" ";"; echo',
        'echo "$(basename /etc/ssh/sshd_config .d) $(dirname /etc/ssh/sshd_config)"',
        'echo HELLO | tr "[:upper:]" "[:lower:]"',
        'T=$(mktemp) && test -f "$T" && echo temp-ok',
        'echo $((1 / 0))',
        'echo never',
      ],
      al2023(),
      { now: NOW },
    );
    // Assess
    // bash running a script file abandons only the line with the arithmetic error and reads on (bash 5.2:
    // `_script.sh: line 9: 1 / 0: division by 0 (error token is "0")`, then `never`, exit status 0).
    expect(result.stdout).toBe('i=3 6 1024 1\n2,4,6,\n1 a;2 b;\nsshd_config /etc/ssh\nhello\ntemp-ok\nnever\n');
    expect(result.stderr).toContain('division by 0');
    expect(result.exitCode).toBe(0);
  });

  it('a loop waiting for something that never happens ends at the execution timeout', async () => {
    const result = await runShellScript(['while ! test -f /tmp/never; do sleep 5; done'], al2023(), { now: NOW, timeoutMs: 600_000 });
    expect(result).toMatchObject({ timedOut: true, durationMs: 600_000 });
  });

  it('systemctl knows the units of installed packages only', async () => {
    const result = await runShellScript(['systemctl restart nginx'], al2023(), { now: NOW });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toBe('Failed to restart nginx.service: Unit nginx.service not found.\n');
  });

  it('stops at the execution timeout', async () => {
    // Act
    const result = await runShellScript(['echo start', 'sleep 120', 'echo late'], al2023(), { now: NOW, timeoutMs: 60_000 });
    // Assess
    expect(result).toMatchObject({ timedOut: true, exitCode: -1, stdout: 'start\n', durationMs: 60_000 });
  });
});

describe('the example pipeline components', () => {
  // The real component files of pipelines/example.yaml, run phase by phase as the workflow does.
  const load = (name: string): { name: string; steps: { name: string; inputs: { commands: string[] } }[] }[] =>
    (parse(readFileSync(join(__dirname, '../../../pipelines/components', `${name}.yaml`), 'utf8')) as { phases: { name: string; steps: { name: string; inputs: { commands: string[] } }[] }[] }).phases;

  it('os-update, ssh-hardening and cleanup build and validate on the outdated AL2023 base image', async () => {
    // Prepare
    const software = al2023();
    const components = ['os-update', 'ssh-hardening', 'cleanup'].map((name) => ({ name, phases: load(name) }));
    const results: string[] = [];
    // Act
    for (const phase of ['build', 'validate']) {
      for (const component of components) {
        for (const step of component.phases.find((p) => p.name === phase)?.steps ?? []) {
          const result = await runShellScript(step.inputs.commands, software, { now: NOW });
          results.push(`${component.name}/${phase}/${step.name}=${result.exitCode}`);
        }
      }
    }
    // Assess
    expect(results.every((r) => r.endsWith('=0'))).toBe(true);
    expect(planUpgrade(software, repositoryForPlatform('AMAZON_LINUX_2023')!)).toEqual([]);
    expect(software.files['/etc/ssh/sshd_config']).toContain('\nPermitRootLogin no\n');
    expect(software.files['/etc/machine-id']).toBe('');
    expect(Object.keys(software.files).filter((f) => f.startsWith('/etc/ssh/ssh_host_'))).toEqual([]);
  });

  it('the os-update validate step fails while updates are pending', async () => {
    const validate = load('os-update').find((p) => p.name === 'validate')?.steps[0].inputs.commands ?? [];
    const result = await runShellScript(validate, al2023(), { now: NOW });
    expect(result.exitCode).toBe(100);
  });
});

describe('commonly installed packages', () => {
  it('installs the web server, CloudWatch agent and Docker from the AL2023 repository and starts them', async () => {
    const software = al2023();
    const result = await runShellScript(['set -e', 'dnf install -y httpd amazon-cloudwatch-agent docker', 'systemctl enable --now httpd docker amazon-cloudwatch-agent', 'rpm -q httpd-core'], software, { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trimEnd().endsWith('httpd-core-2.4.62-1.amzn2023.x86_64')).toBe(true);
    expect(software.packages['amazon-cloudwatch-agent'].version).toBe('1.300069.1');
  });
});
