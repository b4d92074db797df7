import { homedir } from 'node:os';
import path from 'node:path';

/** The user's home folder: `HOME` when set (tests point it at a temp folder), else the OS's answer. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

/** `file` as shown to the user: `~/…` inside the home folder, else unchanged. */
export function shownPath(file: string, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  return file.startsWith(`${home}${path.sep}`) ? `~/${file.slice(home.length + 1)}` : file;
}
