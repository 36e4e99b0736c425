// The detector's PostgreSQL side: its own tables (deteccao.alertas, deteccao.execucoes), the
// device history it loads once at start (with the snapshot it was read at) and refreshes for the
// people being judged, and the orders it reads back to complete a half whose other half lies
// before the group's offsets.
import type pg from "pg";
import { inTransaction } from "../db";
import type { Alerta } from "./alertas";
import type { FaixaDePedidos } from "./execucao";
import { EstadoDispositivos, Snapshot, type HistoricoDoBanco } from "./estado";
import type { PedidoDoBanco } from "./motor";

/** The schema of the detector's own tables (outside the store's model and the answer key). */
export async function garantirTabelasDeteccao(client: pg.ClientBase): Promise<void> {
  await inTransaction(client, async () => {
    // Serialises concurrent detectors creating the schema (CREATE … IF NOT EXISTS can still race).
    await client.query("SELECT pg_advisory_xact_lock(hashtext('liga_sudoers.deteccao'))");
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS deteccao;
      CREATE TABLE IF NOT EXISTS deteccao.alertas (
        id_pedido    bigint      NOT NULL,
        id_pessoa    bigint      NOT NULL,
        regras       text[]      NOT NULL,
        dispositivo  text        NOT NULL,
        geohash      text        NOT NULL,
        uf           text        NOT NULL,
        dt_venda     timestamptz NOT NULL,
        commit_em    timestamptz NOT NULL,
        detectado_em timestamptz NOT NULL,
        CONSTRAINT alertas_pkey PRIMARY KEY (id_pedido),
        CONSTRAINT alertas_regras_check CHECK (cardinality(regras) > 0 AND regras <@ ARRAY['dispositivo', 'local'])
      );
      CREATE TABLE IF NOT EXISTS deteccao.execucoes (
        id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        grupo           text        NOT NULL,
        inicio          timestamptz NOT NULL,
        fim             timestamptz NOT NULL,
        primeiro_pedido bigint,
        ultimo_pedido   bigint,
        pedidos_julgados integer    NOT NULL,
        alertas         integer     NOT NULL
      );
      COMMENT ON TABLE deteccao.alertas IS
        'Alertas do detector em tempo real (um por pedido suspeito; regravar o mesmo pedido não faz nada).';
      COMMENT ON TABLE deteccao.execucoes IS 'Cada execução do detector: quando e que faixa de pedidos julgou.';`);
  });
}

export async function gravarAlertas(client: pg.ClientBase, alertas: readonly Alerta[]): Promise<void> {
  if (alertas.length === 0) return;
  await client.query(
    `INSERT INTO deteccao.alertas (id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_em, detectado_em)
     SELECT a.id_pedido, a.id_pessoa, string_to_array(a.regras, ','), a.dispositivo, a.geohash, a.uf, a.dt_venda,
            to_timestamp(a.commit_ms / 1000.0), a.detectado_em
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::float8[], $9::timestamptz[])
            AS a(id_pedido, id_pessoa, regras, dispositivo, geohash, uf, dt_venda, commit_ms, detectado_em)
     ON CONFLICT (id_pedido) DO NOTHING`,
    [
      alertas.map((a) => a.id_pedido),
      alertas.map((a) => a.id_pessoa),
      alertas.map((a) => a.regras.join(",")),
      alertas.map((a) => a.dispositivo),
      alertas.map((a) => a.geohash),
      alertas.map((a) => a.uf),
      alertas.map((a) => a.dt_venda),
      alertas.map((a) => a.commit_ts_ms),
      alertas.map((a) => a.detectado_em),
    ],
  );
}

/** Orders by id with both halves, as the engine needs them. */
export async function buscarPedidos(client: pg.ClientBase, ids: readonly number[]): Promise<PedidoDoBanco[]> {
  const { rows } = await client.query<PedidoDoBanco>(
    `SELECT p.id, p.id_pessoa, floor(extract(epoch FROM p.dt_venda) * 1000000)::float8 AS dt_us,
            to_char(p.dt_venda AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS dt_iso, a.dispositivo, a.geohash
       FROM public.pedidos p JOIN public.auditoria_pedidos a ON a.id_pedido = p.id
      WHERE p.id = ANY($1::bigint[])`,
    [ids],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), id_pessoa: Number(r.id_pessoa) }));
}

const SQL_HISTORICO = `
  SELECT p.id_pessoa::text AS id_pessoa, a.dispositivo,
         floor(extract(epoch FROM min(p.dt_venda)) * 1000000)::float8 AS desde, count(*)::int AS pedidos
    FROM public.pedidos p LEFT JOIN public.auditoria_pedidos a ON a.id_pedido = p.id`;

/** The history of some people as the database has it now (every transaction committed so far). */
export async function historicoDoBanco(client: pg.ClientBase, pessoas: readonly number[]): Promise<HistoricoDoBanco[]> {
  const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number }>(
    `${SQL_HISTORICO} WHERE p.id_pessoa = ANY($1::bigint[]) GROUP BY 1, 2`,
    [pessoas],
  );
  return rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde }));
}

/**
 * The device state of every person over every order in the database, and the snapshot it was
 * read at (one REPEATABLE READ transaction, so both agree).
 */
export async function carregarEstadoInicial(
  client: pg.ClientBase,
): Promise<{ estado: EstadoDispositivos; snapshot: Snapshot; pedidos: number }> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const snap = await client.query<{ s: string }>("SELECT pg_current_snapshot()::text AS s");
    const { rows } = await client.query<{ id_pessoa: string; dispositivo: string | null; desde: number; pedidos: number }>(
      `${SQL_HISTORICO} GROUP BY 1, 2`,
    );
    await client.query("COMMIT");
    const estado = new EstadoDispositivos();
    estado.aplicar(rows.map((r) => ({ id_pessoa: Number(r.id_pessoa), dispositivo: r.dispositivo, desde: r.desde })));
    const pedidos = rows.reduce((n, r) => n + r.pedidos, 0);
    return { estado, snapshot: Snapshot.ler(snap.rows[0].s), pedidos };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** One row of deteccao.execucoes: when a run ran and which range of orders it judged. */
export async function registrarExecucao(
  client: pg.ClientBase,
  r: { grupo: string; inicio: Date; fim: Date; faixa: FaixaDePedidos | null; pedidosJulgados: number; alertas: number },
): Promise<void> {
  await client.query(
    `INSERT INTO deteccao.execucoes (grupo, inicio, fim, primeiro_pedido, ultimo_pedido, pedidos_julgados, alertas)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [r.grupo, r.inicio, r.fim, r.faixa?.de ?? null, r.faixa?.ate ?? null, r.pedidosJulgados, r.alertas],
  );
}
