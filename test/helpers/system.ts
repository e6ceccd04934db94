import { spawnSync } from 'node:child_process';
import net from 'node:net';

/** The absolute path of `cmd` on PATH, or null. */
export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : null;
}

/**
 * `describe` when every tool is on PATH; otherwise `describe.skip`, with one loud line
 * saying what to install. CI installs them all (.ci/run), so there these always run.
 */
export function describeWithTools(tools: Record<string, string>, name: string, fn: () => void): void {
  const missing = Object.keys(tools).filter((t) => !which(t));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const install = missing.map((t) => tools[t]).join(' ');
  process.stderr.write(`\n*** SKIPPED "${name}": ${missing.join(', ')} not on PATH. Install with: apt-get install -y ${install} ***\n\n`);
  describe.skip(name, fn);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * `describe` when this machine answers on a second loopback address (`127.0.0.2` stands for
 * another host: Linux routes all of 127.0.0.0/8 to lo); otherwise `describe.skip`, with one
 * loud line saying how to add the alias.
 */
export function describeWithLoopback(address: string, name: string, fn: () => void): void {
  const probe = `require('node:net').createServer().listen(0, ${JSON.stringify(address)}, function () { this.close(); }).on('error', () => process.exit(1))`;
  if (spawnSync(process.execPath, ['-e', probe]).status === 0) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${name}": cannot bind ${address}. Add the loopback alias (macOS: sudo ifconfig lo0 alias ${address}) ***\n\n`);
  describe.skip(name, fn);
}
