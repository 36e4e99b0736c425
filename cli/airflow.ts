// `npm run airflow -- <airflow args>`: the real `airflow` command of the kit's own Airflow
// environment (installed on first use, metadata database migrated), e.g. `dags test`.
import { spawn } from "node:child_process";
import { config } from "../lib/config";
import { airflowCommand, installAirflow, prepareAirflowDb } from "../stack/airflow";
import { cacheDir } from "../stack/proc";
import { executar } from "./comum";

/** `npm run airflow -- <airflow args>`: installs if needed, migrates, runs airflow. */
async function main(argv: string[]): Promise<number> {
  const cfg = config();
  const install = await installAirflow({ cacheDir: cacheDir(), repoRoot: cfg.root });
  await prepareAirflowDb({ install, repoRoot: cfg.root, port: cfg.airflow.port });
  const { cmd, args, env } = airflowCommand({ install, repoRoot: cfg.root, port: cfg.airflow.port, args: argv });
  // Its own process group, so that stopping this wrapper stops all of airflow: `airflow standalone`
  // leaves its scheduler, API server and workers behind on SIGTERM. The whole group gets SIGINT
  // (what Ctrl+C sends in a terminal), then SIGKILL for whatever is still there 30 s later.
  const child = spawn(cmd, args, { env, cwd: cfg.root, stdio: "inherit", detached: true });
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      group("SIGINT");
      setTimeout(() => group("SIGKILL"), 30_000).unref();
    });
  }
  return new Promise((done) =>
    child.on("close", (code, signal) => {
      group("SIGKILL"); // stragglers of the group, if any
      done(code ?? (signal ? 130 : 1));
    }),
  );
}

executar(() => main(process.argv.slice(2)));
