// Native Airflow with the kit's DAG: the pinned version, a DAG folder without import errors, the
// pipeline's tasks in order, and a full `airflow dags test` against the running stack.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { config, loadEnv } from "../../lib/config";
import { airflowCommand, installAirflow, prepareAirflowDb, type AirflowInstall } from "../../stack/airflow";
import { cacheDir, capture, tail } from "../../stack/proc";

const cfg = config();
const DAG_ID = "liga_sudoers_pipeline";
/** The pipeline's tasks, upstream first. */
const TASKS = ["burst_streaming", "dbt_build", "portao_qualidade", "lake_build"];

let install: AirflowInstall;

/** Runs `airflow <args>` (or, with python set, the venv's python) in the kit's Airflow environment. */
async function airflowOk(args: string[], opts: { timeoutMs?: number; python?: boolean } = {}): Promise<string> {
  const { cmd, args: argv, env } = airflowCommand({ install, repoRoot: cfg.root, port: cfg.airflow.port, args });
  const r = await capture(opts.python ? install.python : cmd, argv, {
    env,
    replaceEnv: true,
    cwd: cfg.root,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  const what = `${opts.python ? "python" : "airflow"} ${args.join(" ")}`;
  assert.equal(r.code, 0, `${what} exited ${r.code ?? r.signal}${r.timedOut ? " (timed out)" : ""}:\n${tail(r.output, 60)}`);
  return r.stdout;
}

/** Each task's upstream tasks, from parsing the DAG folder now (`airflow dags show` reads the
 *  last serialized copy in the metadata database, which can lag behind the file). */
const UPSTREAM = `
import json, sys
from airflow.dag_processing.dagbag import DagBag
dag = DagBag().dags[sys.argv[1]]
print(json.dumps({t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}))
`;

/** The document printed by `-o json`: the last stdout line that parses (log lines may precede it). */
function jsonOutput<T>(stdout: string): T {
  for (const line of stdout.trim().split("\n").reverse()) {
    if (!/^\s*[[{]/.test(line)) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      /* a log line that happens to start with a bracket */
    }
  }
  throw new Error(`no JSON document in the output:\n${tail(stdout, 20)}`);
}

describe("native Airflow", () => {
  before(async () => {
    install = await installAirflow({ cacheDir: cacheDir(), repoRoot: cfg.root });
    await prepareAirflowDb({ install, repoRoot: cfg.root, port: cfg.airflow.port });
  });

  test("the installed Airflow is AIRFLOW_VERSION, the version of the compose image", async () => {
    const printed = (await airflowOk(["version"])).trim().split("\n").pop();
    assert.equal(printed, loadEnv(cfg.root).AIRFLOW_VERSION);
  });

  test("the DAG folder parses without import errors and holds the pipeline", async () => {
    const errors = jsonOutput<{ filepath: string; error: string }[]>(
      await airflowOk(["dags", "list-import-errors", "--local", "-o", "json"]),
    );
    assert.deepEqual(errors, [], errors.map((e) => `${e.filepath}:\n${e.error}`).join("\n"));
    const dags = jsonOutput<{ dag_id: string; fileloc: string }[]>(await airflowOk(["dags", "list", "--local", "-o", "json"]));
    const pipeline = dags.find((d) => d.dag_id === DAG_ID);
    assert.ok(pipeline, `${DAG_ID} not among ${dags.map((d) => d.dag_id).join(", ")}`);
    assert.equal(pipeline.fileloc, join(cfg.root, "airflow_dags", `${DAG_ID}.py`));
  });

  test("the pipeline's tasks run one after the other", async () => {
    const listed = (await airflowOk(["tasks", "list", DAG_ID]))
      .trim()
      .split("\n")
      .filter((l) => /^\w+$/.test(l));
    assert.deepEqual(listed.sort(), [...TASKS].sort());
    const upstream = jsonOutput<Record<string, string[]>>(await airflowOk(["-c", UPSTREAM, DAG_ID], { python: true }));
    assert.deepEqual(upstream, Object.fromEntries(TASKS.map((t, i) => [t, TASKS.slice(i - 1, i)])));
  });

  test("airflow dags test runs the pipeline and every task succeeds", { timeout: 30 * 60_000 }, async () => {
    const out = await airflowOk(["dags", "test", DAG_ID], { timeoutMs: 25 * 60_000 });
    const finished = /DagRun Finished: dag_id=(\w+), .*?run_id=([^,\s]+), .*?state=(\w+)/.exec(out);
    assert.ok(finished, `no "DagRun Finished" line in the output:\n${tail(out, 40)}`);
    const [, dagId, runId, state] = finished;
    assert.equal(dagId, DAG_ID);
    assert.equal(state, "success");
    const states = jsonOutput<{ task_id: string; state: string }[]>(
      await airflowOk(["tasks", "states-for-dag-run", DAG_ID, runId, "-o", "json"]),
    );
    assert.deepEqual(Object.fromEntries(states.map((s) => [s.task_id, s.state])), Object.fromEntries(TASKS.map((t) => [t, "success"])));
  });
});
