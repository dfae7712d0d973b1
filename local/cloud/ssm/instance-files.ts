/**
 * The instance's files in the interpreter's in-memory file system, and back.
 *
 * Between commands an instance keeps its files in `SoftwareState` (plain JSON, persisted with the world in
 * `.gami/` and copied into images by CreateImage): `files` (path → content; a key ending in `/` is an empty
 * directory), `modes` (only where not 0644 for a file or 0755 for a directory) and `links` (symlink → target).
 * A script run loads them into a just-bash `InMemoryFs` on top of the directories every Linux image has, and
 * writes back whatever differs from that skeleton. File contents are text (UTF-8).
 */
import type { IFileSystem } from 'just-bash';
import type { SoftwareState } from '../packages/types';

/** Directories every Linux image has (a script may write below them without `mkdir`). */
const STANDARD_DIRECTORIES = [
  '/boot',
  '/etc/apt',
  '/etc/cron.d',
  '/etc/dnf',
  '/etc/profile.d',
  '/etc/ssh/sshd_config.d',
  '/etc/sudoers.d',
  '/etc/sysctl.d',
  '/etc/systemd/system/multi-user.target.wants',
  '/etc/yum.repos.d',
  '/home',
  '/opt',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/tmp',
  '/usr/lib',
  '/usr/local/bin',
  '/usr/local/sbin',
  '/usr/sbin',
  '/var/cache',
  '/var/lib/cloud',
  '/var/log',
  '/var/tmp',
];

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;

/** What a path is in the skeleton, to tell the instance's own entries from it. */
type Skeleton = Map<string, string>;

async function signature(fs: IFileSystem, path: string): Promise<string> {
  const stat = await fs.lstat(path);
  if (stat.isSymbolicLink) return `l:${await fs.readlink(path)}`;
  if (stat.isDirectory) return `d:${stat.mode}`;
  return `f:${stat.mode}:${await fs.readFile(path)}`;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Skeletons seen, by their paths: the same commands and directories give the same skeleton (saves ~2 ms a run). */
const skeletons = new Map<string, Skeleton>();

async function skeletonOf(fs: IFileSystem): Promise<Skeleton> {
  const paths = fs.getAllPaths();
  const key = paths.join('\n');
  const known = skeletons.get(key);
  if (known) return known;
  const skeleton: Skeleton = new Map();
  for (const path of paths) skeleton.set(path, await signature(fs, path));
  skeletons.set(key, skeleton);
  return skeleton;
}

/**
 * Load the instance's files into `fs` (a fresh interpreter file system). Returns the skeleton the files were
 * laid on, which `saveInstanceFiles` leaves out.
 */
export async function loadInstanceFiles(fs: IFileSystem, software: SoftwareState): Promise<Skeleton> {
  const home = software.os.platform.startsWith('UBUNTU') ? '/home/ubuntu' : '/home/ec2-user';
  for (const directory of [...STANDARD_DIRECTORIES, home]) await fs.mkdir(directory, { recursive: true });
  // The interpreter lists its commands as files in /bin and /usr/bin; on an instance those are executable
  // (scripts test `[ -x /usr/bin/dnf ]` to tell the distribution).
  for (const path of fs.getAllPaths()) {
    if (/^\/(usr\/)?bin\/[^/]+$/.test(path) && (await fs.stat(path)).isFile) await fs.chmod(path, 0o755);
  }
  const skeleton = await skeletonOf(fs);
  for (const [key, content] of Object.entries(software.files)) {
    if (key.endsWith('/')) {
      await fs.mkdir(key.slice(0, -1), { recursive: true });
      continue;
    }
    await fs.mkdir(parentOf(key), { recursive: true });
    await fs.writeFile(key, content);
  }
  for (const [path, target] of Object.entries(software.links ?? {})) {
    await fs.mkdir(parentOf(path), { recursive: true });
    await fs.rm(path, { force: true });
    await fs.symlink(target, path);
  }
  for (const [path, mode] of Object.entries(software.modes ?? {})) {
    if (await fs.exists(path)) await fs.chmod(path, mode);
  }
  return skeleton;
}

/** Write the files of `fs` that are the instance's own (not the skeleton's) back into `software`. */
export async function saveInstanceFiles(fs: IFileSystem, software: SoftwareState, skeleton: Skeleton): Promise<void> {
  const files: Record<string, string> = {};
  const links: Record<string, string> = {};
  const modes: Record<string, number> = {};
  const directories: string[] = [];
  for (const path of fs.getAllPaths().sort()) {
    if (path === '/' || skeleton.get(path) === (await signature(fs, path))) continue;
    const stat = await fs.lstat(path);
    if (stat.isSymbolicLink) {
      links[path] = await fs.readlink(path);
      continue;
    }
    if (stat.mode !== (stat.isDirectory ? DIRECTORY_MODE : FILE_MODE)) modes[path] = stat.mode;
    if (stat.isDirectory) directories.push(path);
    else files[path] = await fs.readFile(path);
  }
  const saved = [...Object.keys(files), ...Object.keys(links)];
  for (const directory of directories) {
    // A directory is implied by what is below it; only an empty one needs an entry of its own.
    if (!skeleton.has(directory) && !saved.some((path) => path.startsWith(`${directory}/`)) && !directories.some((d) => d.startsWith(`${directory}/`))) {
      files[`${directory}/`] = '';
    }
  }
  software.files = files;
  if (Object.keys(links).length) software.links = links;
  else delete software.links;
  if (Object.keys(modes).length) software.modes = modes;
  else delete software.modes;
}
