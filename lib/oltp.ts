// The OLTP model of notebook 01: apply postgresql-init/, describe what it created, and try
// statements that the constraints must reject — always rolled back, so nothing is stored.
import { join } from "node:path";
import type pg from "pg";
import { config } from "./config";
import { applySqlDir, withClient } from "./db";
import { erdDot, renderDot } from "./diagram";
import { TABELAS_OLTP } from "./dominio";

export { TABELAS_OLTP };

/** Applies postgresql-init/ to the OLTP database (idempotent); returns the files applied. */
export async function aplicarModelo(): Promise<string[]> {
  return withClient("oltp", (client) => applySqlDir(client, join(config().root, "postgresql-init")));
}

export interface ContagemTabela {
  tabela: string;
  linhas: number;
}

export async function contarLinhas(): Promise<ContagemTabela[]> {
  return withClient("oltp", async (client) => {
    const contagens: ContagemTabela[] = [];
    for (const tabela of TABELAS_OLTP) {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tabela}`);
      contagens.push({ tabela, linhas: rows[0].n });
    }
    return contagens;
  });
}

export interface Restricao {
  tabela: string;
  restricao: string;
  tipo: "PK" | "FK" | "CHECK" | "UNIQUE";
  definicao: string;
}

const TIPOS: Record<string, Restricao["tipo"]> = { p: "PK", f: "FK", c: "CHECK", u: "UNIQUE" };

/** Every PK, FK, CHECK and UNIQUE constraint of the OLTP tables, as PostgreSQL stores them. */
export async function listarRestricoes(): Promise<Restricao[]> {
  const { rows } = await withClient("oltp", (client) =>
    client.query<{ tabela: string; restricao: string; contype: string; definicao: string }>(
      `SELECT c.relname AS tabela, k.conname AS restricao, k.contype, pg_get_constraintdef(k.oid) AS definicao
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relname = ANY ($1) AND c.relnamespace = 'public'::regnamespace AND k.contype IN ('p','f','c','u')
        ORDER BY array_position($1, c.relname::text), k.contype, k.conname`,
      [TABELAS_OLTP],
    ),
  );
  return rows.map((r) => ({ tabela: r.tabela, restricao: r.restricao, tipo: TIPOS[r.contype], definicao: r.definicao }));
}

export interface Tentativa {
  aceito: boolean;
  /** SQLSTATE of the rejection: 23503 FK, 23514 CHECK, 23505 unique, 23502 not null. */
  sqlstate?: string;
  restricao?: string;
  mensagem: string;
}

/**
 * Runs statements inside a transaction that is always rolled back, and reports whether
 * PostgreSQL accepted them or which constraint rejected them.
 */
export async function tentar(sql: string | string[], params: unknown[] = []): Promise<Tentativa> {
  const statements = Array.isArray(sql) ? sql : [sql];
  return emTransacaoDesfeita(async (client) => {
    try {
      for (const statement of statements) await client.query(statement, statements.length === 1 ? params : []);
      return { aceito: true, mensagem: "aceito (e desfeito com ROLLBACK)" };
    } catch (err) {
      const e = err as pg.DatabaseError;
      return { aceito: false, sqlstate: e.code, restricao: e.constraint, mensagem: e.message };
    }
  });
}

/** Runs `work` inside a transaction that is always rolled back: a demonstration that stores nothing. */
export async function emTransacaoDesfeita<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient("oltp", async (client) => {
    await client.query("BEGIN");
    try {
      return await work(client);
    } finally {
      await client.query("ROLLBACK");
    }
  });
}

export interface Indice {
  tabela: string;
  indice: string;
  definicao: string;
}

export async function listarIndices(): Promise<Indice[]> {
  const { rows } = await withClient("oltp", (client) =>
    client.query<Indice>(
      `SELECT tablename AS tabela, indexname AS indice, indexdef AS definicao
         FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY ($1)
        ORDER BY array_position($1, tablename::text), indexname`,
      [TABELAS_OLTP],
    ),
  );
  return rows;
}

/** A person's fixed id for demonstrations, which only ever run inside a rolled-back transaction. */
const PESSOA_EXEMPLO = 12345678909;

/** Writes one complete order (person, order, two items, audit row) through `client`. */
export async function inserirPedidoDeExemplo(client: pg.Client): Promise<void> {
  await client.query(`INSERT INTO pessoas (id, nome, sexo, dt_nasc) VALUES ($1, 'Maria da Silva', 'F', DATE '1994-03-12')`, [
    PESSOA_EXEMPLO,
  ]);
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO pedidos (id_pessoa, dt_venda, valor_total)
     SELECT $1, now(), sum(p.valor_unit * i.qtde)
       FROM (VALUES (1, 2), (41, 1)) AS i(id_produto, qtde) JOIN produtos p ON p.id = i.id_produto
     RETURNING id`,
    [PESSOA_EXEMPLO],
  );
  const pedido = rows[0].id;
  await client.query(
    `INSERT INTO itens_pedidos (id_pedido, id_produto, qtde, valor_total)
     SELECT $1, p.id, i.qtde, p.valor_unit * i.qtde
       FROM (VALUES (1, 2), (41, 1)) AS i(id_produto, qtde) JOIN produtos p ON p.id = i.id_produto`,
    [pedido],
  );
  await client.query(
    `INSERT INTO auditoria_pedidos (id_pedido, dispositivo, geohash, telefone) VALUES ($1, 'Iphone', '6gycfq8', '5511987654321')`,
    [pedido],
  );
}

/** The OLTP entity-relationship diagram as SVG, drawn from the live catalog. */
export async function diagramaER(): Promise<string> {
  return renderDot(await withClient("oltp", (client) => erdDot(client, "public", [...TABELAS_OLTP])));
}
