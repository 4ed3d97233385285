// Node 20's global fetch ignores HTTPS_PROXY. Preloaded with NODE_OPTIONS=--require, this makes
// fetch (and undici) use the proxy the environment names, NO_PROXY included, with no change to
// the client's code. undici's major version matches the one bundled in Node 20 (6.x), so both
// share the global dispatcher.
const { EnvHttpProxyAgent, setGlobalDispatcher } = require("undici");

setGlobalDispatcher(new EnvHttpProxyAgent());
