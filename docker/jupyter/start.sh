#!/bin/sh
# Entry point of the jupyter container: the repository is mounted at /workspace and
# node_modules is a named volume shared (read-only) with airflow.
set -eu
KIT=/workspace

if [ "$(id -u)" = "0" ]; then
  # Notebooks write into the student's bind-mounted repository: run as its owner (Linux hosts;
  # on Docker Desktop the owner is translated and this is a no-op).
  owner=$(stat -c %u "$KIT")
  if [ "$owner" != "0" ] && [ "$owner" != "$(id -u node)" ]; then
    usermod -o -u "$owner" node
  fi
  # A fresh volume is created root-owned, and a changed uid leaves old files behind.
  if [ "$(stat -c %u "$KIT/node_modules")" != "$(id -u node)" ]; then
    chown -R node:node "$KIT/node_modules"
  fi
  exec gosu node "$0" "$@"
fi

cd "$KIT"
if [ ! -f node_modules/.package-lock.json ]; then
  echo "node_modules ausente: rodando npm ci (só na primeira subida; leva alguns minutos)..."
  npm ci --no-audit --no-fund
fi

exec jupyter lab --ip=0.0.0.0 --port=8888 --no-browser --ServerApp.root_dir="$KIT"
