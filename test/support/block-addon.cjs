// A --require hook for child processes: loading the native addon (node-gyp-build, or pcapkit's
// binding module that calls it) throws, as it does where the addon is missing or broken.
const Module = require('node:module');
const path = require('node:path');

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const blocked =
    request === 'node-gyp-build' ||
    (parent && path.basename(request) === 'binding' && /[\\/]dist[\\/]cjs$/.test(path.dirname(path.resolve(path.dirname(parent.filename), request))));
  if (blocked) throw new Error(`native addon blocked (${request})`);
  return load.apply(this, arguments);
};
