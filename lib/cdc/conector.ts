// The connector's lifecycle through Kafka Connect's REST API: register (idempotent), read its
// status, wait for RUNNING with a readable failure, validate, restart and remove it.
import { setTimeout as pausa } from "node:timers/promises";
import { ErroConectorAusente, ErroLiga } from "../erros";
import { erroHttp, mensagemRest, rest, urlConnect } from "./connect";
import { CONECTOR, definicaoConector } from "./definicao";
import { descartarSlot } from "./postgres";
import { dica, resumoDoTrace } from "./diagnostico";
import { criarTopicosDasTabelas } from "./topicos";

export interface StatusConector {
  nome: string;
  /** RUNNING, FAILED, PAUSED, STOPPED, UNASSIGNED or RESTARTING. */
  estado: string;
  worker: string;
  trace?: string;
  tarefas: { id: number; estado: string; worker: string; trace?: string }[];
}

const caminhoDe = (nome: string) => `/connectors/${encodeURIComponent(nome)}`;

/** Connector and task states, as GET /connectors/{nome}/status answers; ErroConectorAusente if unknown. */
export async function statusConector(nome: string = CONECTOR): Promise<StatusConector> {
  const r = await rest("GET", `${caminhoDe(nome)}/status`);
  if (r.status === 404) throw new ErroConectorAusente(nome, urlConnect());
  if (r.status !== 200) throw erroHttp(r, `status de ${nome}`);
  const s = r.corpo as {
    name: string;
    connector: { state: string; worker_id: string; trace?: string };
    tasks: { id: number; state: string; worker_id: string; trace?: string }[];
  };
  return {
    nome: s.name,
    estado: s.connector.state,
    worker: s.connector.worker_id,
    trace: s.connector.trace,
    tarefas: s.tasks.map((t) => ({ id: t.id, estado: t.state, worker: t.worker_id, trace: t.trace })),
  };
}

function falhas(s: StatusConector): string[] {
  const out: string[] = [];
  if (s.estado === "FAILED") out.push(`conector: ${resumoDoTrace(s.trace ?? "(sem trace)")}`);
  for (const t of s.tarefas) if (t.estado === "FAILED") out.push(`tarefa ${t.id}: ${resumoDoTrace(t.trace ?? "(sem trace)")}`);
  return out;
}

const rodando = (s: StatusConector) => s.estado === "RUNNING" && s.tarefas.length > 0 && s.tarefas.every((t) => t.estado === "RUNNING");

/** The status, or undefined while the connector is not registered (right after a PUT it may not be yet). */
async function statusSeExistir(nome: string): Promise<StatusConector | undefined> {
  try {
    return await statusConector(nome);
  } catch (err) {
    if (err instanceof ErroConectorAusente) return undefined;
    throw err;
  }
}

/**
 * Waits until the connector and all its tasks are RUNNING (seen twice in a row, half a second
 * apart, so a task failing right after starting is not missed). A FAILED connector or task
 * rejects at once with the trace's first meaningful lines and a hint; so does the timeout.
 */
export async function esperarRodando(nome: string = CONECTOR, timeoutMs = 60_000): Promise<StatusConector> {
  const limite = Date.now() + timeoutMs;
  let vistoRodando = false;
  for (;;) {
    const ultimo = await statusSeExistir(nome);
    if (ultimo) {
      const f = falhas(ultimo);
      if (f.length) throw new ErroLiga(`O conector ${nome} falhou.\n- ${f.join("\n- ")}\n${dica(f.join("\n"))}`);
      if (rodando(ultimo) && vistoRodando) return ultimo;
      vistoRodando = rodando(ultimo);
    }
    if (Date.now() >= limite) {
      const estado = ultimo
        ? `conector ${ultimo.estado}, tarefas [${ultimo.tarefas.map((t) => `${t.id}: ${t.estado}`).join(", ") || "nenhuma"}]`
        : "ainda sem status";
      throw new ErroLiga(
        `O conector ${nome} não ficou RUNNING em ${Math.round(timeoutMs / 1000)} s (${estado}). ` +
          "Veja `npm run stack -- logs connect` (ou `docker compose logs connect`).",
      );
    }
    await pausa(500);
  }
}

const semNome = (c: Record<string, string>) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== "name"));

function iguais(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(a[k]) === String(b[k]));
}

export interface OpcoesRegistro {
  /** Bound for the whole call (PUT + waiting for RUNNING); default 90 s. */
  timeoutMs?: number;
  /** Another connector name (tests, experiments); default CONECTOR. */
  nome?: string;
  /** Keys replacing those of debezium-init/conector-oltp.json (e.g. another slot.name). */
  sobrescrever?: Record<string, string>;
}

/**
 * PUT /connectors/{nome}/config until Connect takes it. Connect validates the config on PUT
 * (Debezium even opens a test connection): a refusal names the problem; 409 means a rebalance
 * is under way, so it is tried again shortly, up to `limite`.
 */
async function gravarConfiguracao(nome: string, desejada: Record<string, string>, limite: number, timeoutMs: number): Promise<void> {
  for (;;) {
    const restante = limite - Date.now();
    if (restante <= 0)
      throw new ErroLiga(
        `Kafka Connect não aceitou a configuração de ${nome} em ${Math.round(timeoutMs / 1000)} s (rebalanceamento em andamento).`,
      );
    const r = await rest("PUT", `${caminhoDe(nome)}/config`, desejada, Math.min(restante, 75_000));
    if (r.status === 200 || r.status === 201) return;
    if (r.status === 409) {
      await pausa(1000);
      continue;
    }
    // Connect 4.1 answers an invalid Debezium 3.6 config with an internal NullPointerException
    // (HTTP 500) instead of the list of errors: ask the validate endpoint for the real ones.
    const erros = await errosDeValidacao(nome, desejada).catch(() => []);
    const msg = (erros.length ? erros : mensagemRest(r).split("\n"))
      .filter((l) => l.trim() && !/You can also find the above list of errors/.test(l))
      .join("\n  ");
    throw new ErroLiga(`Kafka Connect recusou a configuração de ${nome} (HTTP ${r.status}):\n  ${msg}\n${dica(msg)}`);
  }
}

/**
 * Creates or updates the connector with PUT /connectors/{nome}/config, comparing first with the
 * stored config: an equal config is left alone ("inalterado"), so rerunning never restarts it.
 * Then waits for RUNNING; a config Connect rejects, or a failing task, becomes a pt-BR error.
 */
export async function registrarConector(
  opts: OpcoesRegistro = {},
): Promise<{ acao: "criado" | "atualizado" | "inalterado"; status: StatusConector }> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const limite = Date.now() + timeoutMs;
  const nome = opts.nome ?? CONECTOR;
  const desejada = { ...definicaoConector().config, ...(opts.sobrescrever ?? {}) };
  if (nome === CONECTOR) await criarTopicosDasTabelas(Number(desejada["topic.creation.default.partitions"] ?? 1));
  const atual = await rest("GET", `${caminhoDe(nome)}/config`);
  if (atual.status !== 200 && atual.status !== 404) throw erroHttp(atual, `ler a configuração de ${nome}`);
  let acao: "criado" | "atualizado" | "inalterado" = "inalterado";
  if (atual.status === 404 || !iguais(semNome(atual.corpo as Record<string, string>), desejada)) {
    acao = atual.status === 404 ? "criado" : "atualizado";
    await gravarConfiguracao(nome, desejada, limite, timeoutMs);
    // An update restarts the connector: give the old RUNNING status time to go away.
    if (acao === "atualizado") await pausa(1500);
  }
  const status = await esperarRodando(nome, Math.max(1000, limite - Date.now()));
  return { acao, status };
}

/** The errors PUT /connector-plugins/{class}/config/validate finds in a config ("campo: erro"). */
async function errosDeValidacao(nome: string, configuracao: Record<string, string>): Promise<string[]> {
  const classe = configuracao["connector.class"];
  const r = await rest("PUT", `/connector-plugins/${encodeURIComponent(classe)}/config/validate`, { ...configuracao, name: nome }, 60_000);
  if (r.status !== 200) throw erroHttp(r, `validar ${nome}`);
  const corpo = r.corpo as { configs?: { value?: { name: string; errors?: string[] } | null }[] };
  return (corpo.configs ?? []).flatMap((c) => (c.value?.errors ?? []).map((e) => `${c.value!.name}: ${e}`));
}

/** Restarts the connector and all its tasks (e.g. after fixing what made a task fail). */
export async function reiniciarConector(nome: string = CONECTOR): Promise<void> {
  const r = await rest("POST", `${caminhoDe(nome)}/restart?includeTasks=true&onlyFailed=false`);
  if (r.status === 404) throw new ErroConectorAusente(nome, urlConnect());
  if (r.status >= 300) throw erroHttp(r, `reiniciar ${nome}`);
}

/**
 * Deletes the connector; false when it did not exist. With descartarSlot, also drops its
 * replication slot once Connect has let go of it — a slot nobody reads keeps WAL on disk forever.
 */
export async function removerConector(
  nome: string = CONECTOR,
  opts: { descartarSlot?: boolean; timeoutMs?: number } = {},
): Promise<boolean> {
  const cfg = await rest("GET", `${caminhoDe(nome)}/config`);
  const slot = cfg.status === 200 ? (cfg.corpo as Record<string, string>)["slot.name"] : undefined;
  const r = await rest("DELETE", caminhoDe(nome));
  if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw erroHttp(r, `remover ${nome}`);
  if (opts.descartarSlot && slot) await descartarSlot(slot, opts.timeoutMs ?? 30_000);
  return r.status !== 404;
}
