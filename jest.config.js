'use strict';
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^koa-bandwidth$': '<rootDir>/lib/index.ts' },
  testTimeout: 30000,
  // Real-time and subprocess tests share two cores: keep parallelism modest.
  maxWorkers: 2,
};
