/**
 * Stand-in for the `debug` package that mediasoup-client and awaitqueue log through (aliased in
 * vite.config.ts): debug's namespace machinery costs the join page a few KB and is off by
 * default anyway. Warnings and errors still reach the console; debug chatter does not.
 * CommonJS on purpose: its users call both `require('debug')(ns)` and `require('debug').default(ns)`.
 */
'use strict';

const loud = /:(WARN|ERROR)\b/;

function createDebug(namespace) {
  const debug = (...args) => {
    if (debug.enabled) debug.log(`[${namespace}]`, ...args);
  };
  debug.log = () => undefined;
  debug.namespace = namespace;
  debug.enabled = loud.test(namespace);
  return debug;
}

createDebug.enable = () => undefined;
createDebug.disable = () => '';
createDebug.enabled = (namespace) => loud.test(namespace);
createDebug.default = createDebug;
createDebug.debug = createDebug;

module.exports = createDebug;
