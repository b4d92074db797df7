import { EventEmitter } from 'node:events';

/** The client `runClient` spawns: a stand-in that records signals and exits when told. */
class FakeClient extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly killed: NodeJS.Signals[] = [];
  kill(signal: NodeJS.Signals): boolean {
    this.killed.push(signal);
    return true;
  }
}

const spawned: Array<{ client: FakeClient; sigintListeners: number; sigtermListeners: number }> = [];
jest.mock('node:child_process', () => ({
  ...jest.requireActual<typeof import('node:child_process')>('node:child_process'),
  spawn: () => {
    const client = new FakeClient();
    spawned.push({ client, sigintListeners: process.listenerCount('SIGINT'), sigtermListeners: process.listenerCount('SIGTERM') });
    return client;
  },
}));

import { runClient } from '../../packages/cli/src/client-launch';

describe('runClient (tokenpak run) and signals', () => {
  beforeEach(() => spawned.splice(0));

  test('its signal handlers are in place before the client exists, so an early signal cannot kill it and orphan the client', async () => {
    const before = { sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM') };
    const result = runClient('client', [], process.env, process.cwd());
    const { client, sigintListeners, sigtermListeners } = spawned[0]!;
    // Seen from inside spawn(): the handlers were already listening.
    expect({ sigintListeners, sigtermListeners }).toEqual({ sigintListeners: before.sigint + 1, sigtermListeners: before.sigterm + 1 });

    process.emit('SIGTERM', 'SIGTERM');
    expect(client.killed).toEqual(['SIGTERM']);
    client.exitCode = 42;
    client.emit('exit', 42, null);
    await expect(result).resolves.toEqual({ code: 42 });
    // And gone again once the client exited.
    expect({ sigint: process.listenerCount('SIGINT'), sigterm: process.listenerCount('SIGTERM') }).toEqual(before);
  });
});
