'use strict';
// Bench server process: `node server.js <mode> <mediaDir>`; sends {port} over IPC when listening,
// and on 'exit' sends {observers} (what the observed mode collected) before it exits.
const http = require('node:http');
const { createApp } = require('./app');

const [mode, mediaDir] = process.argv.slice(2);
const { app, observers, close } = createApp(mode, mediaDir);
const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => {
  process.send({ port: server.address().port });
});
// BENCH_PROFILE_DIR: a CPU profile of the measured window only (the run sends profile-start and
// profile-stop), not of the ramp-up, whose connection setup would swamp the steady state.
const profileDir = process.env.BENCH_PROFILE_DIR;
let inspector = null;
process.on('message', (m) => {
  if (profileDir && m === 'profile-start') {
    inspector = new (require('node:inspector').Session)();
    inspector.connect();
    inspector.post('Profiler.enable', () => inspector.post('Profiler.start'));
  }
  if (profileDir && m === 'profile-stop' && inspector) {
    inspector.post('Profiler.stop', (err, res) => {
      if (!err) require('node:fs').writeFileSync(require('node:path').join(profileDir, `${mode}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  }
  if (m !== 'exit') return;
  server.close();
  server.closeAllConnections();
  // Ten thousand open bodies may take a while to end: do not wait for them beyond a second.
  const closing = Promise.race([Promise.resolve(close()), new Promise((r) => setTimeout(r, 1000))]);
  closing.finally(() => process.send({ observers }, () => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
