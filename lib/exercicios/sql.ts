// Runs a student's SQL safely for a check (read-only transaction, time limit, always rolled
// back), compares result tables value by value, and explains the PostgreSQL errors students
// hit most, by SQLSTATE (never by reading the message text).
import type pg from "pg";
import { type Database, withClient } from "../db";
import type { ErroTipico } from "./tipos";

/** A PostgreSQL error, kept as data so mistakes are recognised by SQLSTATE. */
export interface FalhaSql {
  sqlstate?: string;
  restricao?: string;
  mensagem: string;
}

/** Columns and rows of a query, or the failure that stopped it. */
export interface Tabela {
  colunas: string[];
  linhas: unknown[][];
  falha?: FalhaSql;
}

/** True when the text holds nothing but blanks and SQL comments (the answer cell's stub). */
export function sqlVazio(sql: string | undefined | null): boolean {
  if (typeof sql !== "string") return true;
  return (
    sql
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/--[^\n]*/g, "")
      .trim() === ""
  );
}

export function falhaDe(err: unknown): FalhaSql {
  const e = err as pg.DatabaseError;
  return { sqlstate: e.code, restricao: e.constraint, mensagem: e.message };
}

/** Runs one statement on `client` and returns its table (the last result if there are several). */
export async function consultar(client: pg.ClientBase, sql: string): Promise<Tabela> {
  const res = (await client.query({ text: sql, rowMode: "array" })) as pg.QueryResult<unknown[]> | pg.QueryResult<unknown[]>[];
  const ultimo = Array.isArray(res) ? res[res.length - 1] : res;
  return { colunas: (ultimo?.fields ?? []).map((f) => f.name), linhas: ultimo?.rows ?? [] };
}

/**
 * The student's query in a READ ONLY transaction with a statement timeout, always rolled back:
 * a check never changes data, and a runaway query stops. Errors come back as `falha`.
 */
export async function consultaDoAluno(sql: string, banco: Database = "oltp"): Promise<Tabela> {
  return withClient(banco, async (client) => {
    await client.query("BEGIN READ ONLY");
    try {
      await client.query("SET LOCAL statement_timeout = '20s'");
      return await consultar(client, sql);
    } catch (err) {
      return { colunas: [], linhas: [], falha: falhaDe(err) };
    } finally {
      await client.query("ROLLBACK");
    }
  });
}

/** A value as the comparison sees it: numbers (and numeric text) to 2 decimals, text trimmed. */
export function normalizar(valor: unknown): string | number | null {
  if (valor === null || valor === undefined) return null;
  if (valor instanceof Date) return valor.toISOString();
  if (typeof valor === "number") return Math.round(valor * 100) / 100;
  if (typeof valor === "bigint") return Number(valor);
  const texto = String(valor).trim();
  if (/^-?\d+(\.\d+)?$/.test(texto)) return Math.round(Number(texto) * 100) / 100;
  return texto;
}

/** Values of column `nome` of `t`, normalised (undefined when the column is missing). */
export function coluna(t: Tabela, nome: string): (string | number | null)[] | undefined {
  const i = t.colunas.indexOf(nome);
  return i < 0 ? undefined : t.linhas.map((l) => normalizar(l[i]));
}

/** The first difference between the student's table and the reference, on the reference's columns. */
export function primeiraDiferenca(aluno: Tabela, referencia: Tabela): string | undefined {
  const faltando = referencia.colunas.filter((c) => !aluno.colunas.includes(c));
  if (faltando.length)
    return `faltam as colunas ${faltando.map((c) => `"${c}"`).join(", ")} (você devolveu: ${aluno.colunas.join(", ") || "nenhuma"})`;
  if (aluno.linhas.length !== referencia.linhas.length) {
    return `sua consulta devolveu ${aluno.linhas.length} linha(s); o esperado são ${referencia.linhas.length}`;
  }
  for (const c of referencia.colunas) {
    const a = coluna(aluno, c)!;
    const r = coluna(referencia, c)!;
    const i = r.findIndex((v, k) => v !== a[k]);
    if (i >= 0) return `linha ${i + 1}, coluna "${c}": você tem ${String(a[i])}, o esperado é ${String(r[i])}`;
  }
  return undefined;
}

/** Same columns (by name, any order; no extra ones) and the same rows in the same order. */
export function mesmaTabela(aluno: Tabela, referencia: Tabela): boolean {
  return !aluno.falha && aluno.colunas.length === referencia.colunas.length && primeiraDiferenca(aluno, referencia) === undefined;
}

const EXPLICACAO_POR_SQLSTATE: Record<string, string> = {
  "42601":
    "O PostgreSQL não entendeu o SQL (erro de sintaxe). Confira vírgulas entre as colunas, parênteses e aspas: " +
    "texto vai entre aspas simples ('assim'); aspas duplas são para nomes de colunas.",
  "42703": "Uma coluna citada não existe. Confira os nomes em \\d <tabela> no psql, ou no diagrama da aula 01.",
  "42P01":
    "Uma tabela citada não existe. As tabelas da loja são pessoas, categorias, produtos, pedidos, itens_pedidos e auditoria_pedidos.",
  "42803":
    "Toda coluna do SELECT que não está dentro de uma agregação (count, sum, avg…) precisa estar no GROUP BY — " +
    "senão o PostgreSQL não sabe qual valor mostrar para o grupo.",
  "25006":
    "A verificação roda sua consulta numa transação somente leitura (READ ONLY): este exercício pede só um SELECT, " +
    "nada de INSERT, UPDATE, DELETE ou CREATE.",
  "57014": "A consulta passou de 20 s e foi cancelada. Falta uma condição de junção (ON …)? Sem ela, cada linha se junta com todas.",
};

/** The catalogued mistakes every SQL check shares: the query failed, recognised by SQLSTATE. */
export function errosDeSql<A>(tabelaDoAluno: (a: A) => Tabela): ErroTipico<A>[] {
  return [
    ...Object.entries(EXPLICACAO_POR_SQLSTATE).map(([sqlstate, explicacao]) => ({
      codigo: `sql-${sqlstate}`,
      reconhece: (a: A) => tabelaDoAluno(a).falha?.sqlstate === sqlstate,
      explicar: (a: A) => `${explicacao}\nO PostgreSQL disse: ${tabelaDoAluno(a).falha!.mensagem}`,
    })),
    {
      codigo: "sql-falhou",
      reconhece: (a: A) => tabelaDoAluno(a).falha !== undefined,
      explicar: (a: A) =>
        `A consulta falhou no PostgreSQL: ${tabelaDoAluno(a).falha!.mensagem}. Leia a mensagem: ela diz onde está o problema.`,
    },
  ];
}
