// The PostgreSQL side of the capture: applying debezium-init/*.sql (replication user, replica
// identity, publication), reporting what the database has for it, and dropping a slot.
import { setTimeout as pausa } from "node:timers/promises";
import type pg from "pg";
import { config } from "../config";
import { applySqlDir, withClient } from "../db";
import { ErroLiga } from "../erros";
import { TABELAS_CAPTURADAS, definicaoConector, pastaInit } from "./definicao";

/**
 * Applies debezium-init/*.sql on the OLTP as the owner of the tables: the replication user
 * (credentials from CDC_USER / CDC_PASSWORD, passed as session settings, never written in SQL),
 * replica identity per table and the publication named in the connector JSON. Idempotent.
 */
export async function prepararCaptura(): Promise<void> {
  const { user: usuario, password: senha } = config().cdc;
  const publicacao = definicaoConector().config["publication.name"];
  await withClient("oltp", async (client) => {
    await applySqlDir(client, pastaInit(), { cdc_user: usuario, cdc_password: senha, publicacao });
  });
}

type ReplicaIdentity = "FULL" | "DEFAULT" | "NOTHING" | "INDEX";

export interface EstadoCaptura {
  publicacao: string;
  tabelas: { tabela: string; replicaIdentity: ReplicaIdentity; publicada: boolean }[];
  usuario: { nome: string; login: boolean; replicacao: boolean; superusuario: boolean; privilegios: string[] };
  slot: { nome: string; ativo: boolean; lsnConfirmado: string | null; walRetido: string | null } | null;
}

const IDENTIDADES: Record<string, ReplicaIdentity> = { f: "FULL", d: "DEFAULT", n: "NOTHING", i: "INDEX" };

async function tabelasDaCaptura(client: pg.ClientBase, publicacao: string): Promise<EstadoCaptura["tabelas"]> {
  const { rows } = await client.query<{ tabela: string; ident: string; publicada: boolean }>(
    `SELECT c.relname AS tabela, c.relreplident AS ident,
            EXISTS (SELECT 1 FROM pg_publication_tables p
                     WHERE p.pubname = $1 AND p.schemaname = 'public' AND p.tablename = c.relname) AS publicada
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname = ANY($2) ORDER BY array_position($2, c.relname::text)`,
    [publicacao, [...TABELAS_CAPTURADAS]],
  );
  return rows.map((r) => ({ tabela: r.tabela, replicaIdentity: IDENTIDADES[r.ident], publicada: r.publicada }));
}

async function usuarioDaCaptura(client: pg.ClientBase, usuario: string): Promise<EstadoCaptura["usuario"]> {
  const papel = await client.query<{ login: boolean; repl: boolean; su: boolean }>(
    "SELECT rolcanlogin AS login, rolreplication AS repl, rolsuper AS su FROM pg_roles WHERE rolname = $1",
    [usuario],
  );
  const grants = await client.query<{ g: string }>(
    `SELECT table_schema || '.' || table_name || ': ' || string_agg(privilege_type, ', ' ORDER BY privilege_type) AS g
       FROM information_schema.role_table_grants WHERE grantee = $1
      GROUP BY table_schema, table_name ORDER BY 1`,
    [usuario],
  );
  const p = papel.rows[0];
  return {
    nome: usuario,
    login: p?.login ?? false,
    replicacao: p?.repl ?? false,
    superusuario: p?.su ?? false,
    privilegios: grants.rows.map((r) => r.g),
  };
}

async function slotDaCaptura(client: pg.ClientBase, slot: string): Promise<EstadoCaptura["slot"]> {
  const { rows } = await client.query<{ active: boolean; lsn: string | null; retido: string | null }>(
    `SELECT active, confirmed_flush_lsn::text AS lsn,
            pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retido
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const s = rows[0];
  return s ? { nome: slot, ativo: s.active, lsnConfirmado: s.lsn, walRetido: s.retido } : null;
}

/** What PostgreSQL has for the capture: tables with replica identity, the user's grants, the slot. */
export async function estadoCaptura(): Promise<EstadoCaptura> {
  const cfg = definicaoConector().config;
  const publicacao = cfg["publication.name"];
  return withClient("oltp", async (client) => ({
    publicacao,
    tabelas: await tabelasDaCaptura(client, publicacao),
    usuario: await usuarioDaCaptura(client, config().cdc.user),
    slot: await slotDaCaptura(client, cfg["slot.name"]),
  }));
}

/** Drops a replication slot, waiting (bounded) for its reader to disconnect; false if it did not exist. */
export async function descartarSlot(slot: string, timeoutMs = 30_000): Promise<boolean> {
  const limite = Date.now() + timeoutMs;
  return withClient("oltp", async (client) => {
    for (;;) {
      const { rows } = await client.query<{ active: boolean }>("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot]);
      if (rows.length === 0) return false;
      if (!rows[0].active) {
        await client.query("SELECT pg_drop_replication_slot($1)", [slot]);
        return true;
      }
      if (Date.now() >= limite)
        throw new ErroLiga(`O slot ${slot} continua em uso após ${Math.round(timeoutMs / 1000)} s: não o descartei.`);
      await pausa(500);
    }
  });
}
