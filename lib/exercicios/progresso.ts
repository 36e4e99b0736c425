// The student's progress: every answered check is recorded in the OLTP database, in a schema of
// its own (curso.progresso, created idempotently), one row per exercise and origin with the
// attempt count — rerunning a notebook adds attempts, never rows. Origin "aluno" is the student;
// "curso" is `./liga curso`, which runs the notebooks with the solutions in place. Pending checks
// are not attempts and record nothing. An in-memory store with the same contract serves tests.
import type pg from "pg";
import { withClient } from "../db";
import type { Situacao } from "./tipos";

export type Origem = "aluno" | "curso";

/** The recorded state of one exercise for one origin. */
export interface Registro {
  exercicio: string;
  aula: string;
  origem: Origem;
  ok: boolean;
  tentativas: number;
  /** When it was first solved (undefined while never solved). */
  resolvidoEm?: Date;
  ultimaTentativaEm: Date;
  ultimaSituacao: Situacao;
}

/** Where progress lives. */
export interface Progresso {
  /** Records one attempt; returns the attempt count for that exercise and origin, this one included. */
  registrar(t: { exercicio: string; aula: string; origem: Origem; situacao: Situacao }): Promise<number>;
  tentativas(exercicio: string, origem: Origem): Promise<number>;
  registros(): Promise<Registro[]>;
}

export const SQL_PROGRESSO = `
CREATE SCHEMA IF NOT EXISTS curso;
COMMENT ON SCHEMA curso IS 'Progresso do aluno nos exercícios do curso (fora do modelo da loja).';
CREATE TABLE IF NOT EXISTS curso.progresso (
  exercicio            text        NOT NULL,
  aula                 text        NOT NULL,
  origem               text        NOT NULL CHECK (origem IN ('aluno', 'curso')),
  ok                   boolean     NOT NULL,
  tentativas           integer     NOT NULL CHECK (tentativas > 0),
  resolvido_em         timestamptz,
  ultima_tentativa_em  timestamptz NOT NULL DEFAULT now(),
  ultima_situacao      text        NOT NULL,
  PRIMARY KEY (exercicio, origem)
);
COMMENT ON TABLE curso.progresso IS 'Uma linha por exercício e origem (aluno, ou a execução do curso com as soluções): tentativas e resultado.';
`;

let tabelaCriada = false;

async function garantirTabela(client: pg.ClientBase): Promise<void> {
  if (tabelaCriada) return;
  // Two kernels may create it at once: serialise on an advisory lock for this DDL only.
  await client.query("SELECT pg_advisory_lock(hashtext('curso.progresso'))");
  try {
    await client.query(SQL_PROGRESSO);
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('curso.progresso'))");
  }
  tabelaCriada = true;
}

/** Progress in curso.progresso of the OLTP database. */
export function progressoNoBanco(): Progresso {
  return {
    registrar: ({ exercicio, aula, origem, situacao }) =>
      withClient("oltp", async (client) => {
        await garantirTabela(client);
        const ok = situacao === "ok";
        const { rows } = await client.query<{ tentativas: number }>(
          `INSERT INTO curso.progresso AS p (exercicio, aula, origem, ok, tentativas, resolvido_em, ultima_situacao)
           VALUES ($1, $2, $3, $4::boolean, 1, CASE WHEN $4::boolean THEN now() END, $5)
           ON CONFLICT (exercicio, origem) DO UPDATE
              SET ok = EXCLUDED.ok, aula = EXCLUDED.aula, tentativas = p.tentativas + 1,
                  resolvido_em = coalesce(p.resolvido_em, EXCLUDED.resolvido_em),
                  ultima_tentativa_em = now(), ultima_situacao = EXCLUDED.ultima_situacao
           RETURNING tentativas`,
          [exercicio, aula, origem, ok, situacao],
        );
        return rows[0]!.tentativas;
      }),
    tentativas: (exercicio, origem) =>
      withClient("oltp", async (client) => {
        await garantirTabela(client);
        const { rows } = await client.query<{ tentativas: number }>(
          "SELECT tentativas FROM curso.progresso WHERE exercicio = $1 AND origem = $2",
          [exercicio, origem],
        );
        return rows[0]?.tentativas ?? 0;
      }),
    registros: () =>
      withClient("oltp", async (client) => {
        await garantirTabela(client);
        const { rows } = await client.query<{
          exercicio: string;
          aula: string;
          origem: Origem;
          ok: boolean;
          tentativas: number;
          resolvido_em: Date | null;
          ultima_tentativa_em: Date;
          ultima_situacao: Situacao;
        }>("SELECT * FROM curso.progresso ORDER BY exercicio, origem");
        return rows.map((r) => ({
          exercicio: r.exercicio,
          aula: r.aula,
          origem: r.origem,
          ok: r.ok,
          tentativas: r.tentativas,
          resolvidoEm: r.resolvido_em ?? undefined,
          ultimaTentativaEm: r.ultima_tentativa_em,
          ultimaSituacao: r.ultima_situacao,
        }));
      }),
  };
}

/** The same contract in memory (unit tests, or a check with the database down on purpose). */
export function progressoEmMemoria(): Progresso {
  const dados = new Map<string, Registro>();
  return {
    async registrar({ exercicio, aula, origem, situacao }) {
      const agora = new Date();
      const antes = dados.get(`${exercicio}|${origem}`);
      const ok = situacao === "ok";
      const novo: Registro = {
        exercicio,
        aula,
        origem,
        ok,
        tentativas: (antes?.tentativas ?? 0) + 1,
        resolvidoEm: antes?.resolvidoEm ?? (ok ? agora : undefined),
        ultimaTentativaEm: agora,
        ultimaSituacao: situacao,
      };
      dados.set(`${exercicio}|${origem}`, novo);
      return novo.tentativas;
    },
    async tentativas(exercicio, origem) {
      return dados.get(`${exercicio}|${origem}`)?.tentativas ?? 0;
    },
    async registros() {
      return [...dados.values()].sort((a, b) => (a.exercicio + a.origem).localeCompare(b.exercicio + b.origem));
    },
  };
}
