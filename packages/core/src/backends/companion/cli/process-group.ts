import type { ChildProcess } from 'node:child_process';

/**
 * Signals a child's whole process group. The CLI runs tools (shells, MCP servers) in
 * processes of its own; killing only the leader would orphan them. Children are
 * spawned `detached`, which makes each the leader of a new group whose id is its pid.
 * Returns false when nothing is left to signal.
 */
export function signalProcessGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  if (process.platform === 'win32') {
    // No process groups: the leader is all that can be reached.
    return child.exitCode === null && child.signalCode === null ? child.kill(signal) : false;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    // EPERM: the group is not ours (should not happen); fall back to the leader.
    return child.exitCode === null && child.signalCode === null ? child.kill(signal) : false;
  }
}
