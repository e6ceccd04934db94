'use strict';
// Bench server process: `node server.js <mode> <mediaDir>`; sends {port} over IPC when listening.
const http = require('node:http');
const { createApp } = require('./app');

const [mode, mediaDir] = process.argv.slice(2);
const { app } = createApp(mode, mediaDir);
const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => {
  process.send({ port: server.address().port });
});
process.on('message', (m) => {
  if (m === 'exit') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
