#!/usr/bin/env node
'use strict';
// Built by `npm run build` (run automatically by `npm ci` / `npm install` through `prepare`).
const { main } = require('../dist/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tokenpak: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
