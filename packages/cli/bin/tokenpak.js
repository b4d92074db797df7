#!/usr/bin/env node
'use strict';
// Built by `npm run build` (run automatically by `npm ci` / `npm install` through `prepare`).
const { main } = require('../dist/main.js');

// `tokenpak route … | head -1`: a closed pipe is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error && error.code === 'EPIPE') process.exit(process.exitCode || 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tokenpak: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
