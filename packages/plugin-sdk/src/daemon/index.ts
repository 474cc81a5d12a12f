// @plugwire/plugin-sdk/daemon — daemon plugins out of process (design.md: Daemon over gRPC): the
// plugin side of the lifecycle service and the remote Daemon. A subpath, so plain go-plugin plugins
// do not load the daemon protos at start-up.
export { type ConnectDaemonOptions, connectDaemon, type RemoteDaemon } from "./remote-daemon.js";
export { daemonPluginServer, serveDaemonPlugin } from "./serve-daemon-plugin.js";
