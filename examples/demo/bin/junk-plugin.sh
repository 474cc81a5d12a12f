#!/bin/sh
# A "plugin" that prints to stdout before its handshake: go-plugin's most reported start-up failure.
echo "Loading configuration..."
sleep 5
