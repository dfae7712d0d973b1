/**
 * What the simulated cloud knows about the software on an instance or image. Shared by EC2 (instances
 * and images carry it, CreateImage copies it), SSM RunCommand (commands change it) and Inspector
 * (findings are matched against it).
 */

/** Package manager family, which decides version comparison (rpm vs dpkg rules). */
export type PackageFormat = 'rpm' | 'deb';

export interface InstalledPackage {
  name: string;
  /** Epoch, 0 when absent. */
  epoch: number;
  version: string;
  release: string;
  arch: string;
}

export interface OperatingSystem {
  /** Inspector's platform string, e.g. AMAZON_LINUX_2023, UBUNTU_22_04, WINDOWS_SERVER_2022. */
  platform: string;
  /** Human name, e.g. "Amazon Linux 2023.6.20241212". */
  name: string;
  format: PackageFormat;
}

export interface SoftwareState {
  os: OperatingSystem;
  /** Whether the SSM agent is installed and would register (needed for RunCommand and agent-based scans). */
  ssmAgent: boolean;
  /** Installed packages keyed by name (one version per name, as rpm/dpkg keep it for these packages). */
  packages: Record<string, InstalledPackage>;
  /** Files the simulator tracks (e.g. /root/.ssh/authorized_keys, /etc/ssh/sshd_config settings), path → content. */
  files: Record<string, string>;
  /** Modes of the files and directories above that are not 0644 (file) / 0755 (directory), e.g. scripts made executable. */
  modes?: Record<string, number>;
  /** Symbolic links, path → target. */
  links?: Record<string, string>;
}
