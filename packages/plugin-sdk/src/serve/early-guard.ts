// Imported first by the package entry for its side effect: when a go-plugin host launched this
// process, stdout is diverted to stderr before any user module can print (go-plugin-wire.md §2.4,
// "stdout noise before the handshake" — the most reported go-plugin pain point).
import { guardProcessStdio, launchedByHost } from "./stdout-capture.js";

if (launchedByHost(process.env)) guardProcessStdio();
